"""Synthetic city generator: subjects and 双公示 files of a Shenzhen-like city."""

from xinyong.synth.city import generate_city
from xinyong.synth.manifest import CityManifest

__all__ = ["CityManifest", "generate_city"]
