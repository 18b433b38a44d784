"""Server-rendered portal: zh-CN first, English switch, works without JavaScript."""
