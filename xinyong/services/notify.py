"""Notifications (通知): one interface, chosen by configuration.

* ``log`` (default): written to the ``xinyong.notify`` logger;
* ``file``: one JSON line per notice appended to ``XINYONG_NOTIFY_FILE``;
* ``smtp``: e-mail through ``XINYONG_SMTP_HOST`` when configured; notices for operators go to
  ``XINYONG_NOTIFY_EMAIL``. Subjects and units get e-mail once accounts carry addresses: until then
  their notices are logged;
* :class:`MemorySender`: the null implementation kept in memory, for tests.
"""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from xinyong.errors import ConfigurationError
from xinyong.settings import Settings

log = logging.getLogger("xinyong.notify")


@dataclass(frozen=True)
class Notice:
    recipient: str  # operators | unit:<code> | subject:<id>
    kind: str  # reminder, overdue, outcome, deadline_unknown, accepted
    case_id: str
    subject_zh: str
    subject_en: str
    body: str = ""


class Sender(Protocol):
    channel: str

    def send(self, notice: Notice) -> None: ...


class LogSender:
    channel = "log"

    def send(self, notice: Notice) -> None:
        log.info(
            "notice %s to %s about %s: %s", notice.kind, notice.recipient, notice.case_id, notice.subject_en
        )


@dataclass
class FileSender:
    path: Path
    channel: str = "file"

    def send(self, notice: Notice) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(notice), ensure_ascii=False) + "\n")


@dataclass
class MemorySender:
    sent: list[Notice] = field(default_factory=list)
    channel: str = "memory"

    def send(self, notice: Notice) -> None:
        self.sent.append(notice)


@dataclass
class SmtpSender:
    host: str
    port: int
    sender: str
    operators: str
    channel: str = "smtp"

    def send(self, notice: Notice) -> None:
        if notice.recipient != "operators" or not self.operators:
            LogSender().send(notice)  # no address known for subjects and units yet
            return
        msg = EmailMessage()
        msg["From"], msg["To"] = self.sender, self.operators
        msg["Subject"] = f"{notice.subject_zh} / {notice.subject_en}"
        msg.set_content(notice.body or notice.subject_en)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(msg)


def sender_for(settings: Settings) -> Sender:
    kind = settings.notify_sender
    if kind == "log":
        return LogSender()
    if kind == "file":
        return FileSender(
            Path(settings.notify_file) if settings.notify_file else settings.data_dir / "notices.jsonl"
        )
    if kind == "smtp":
        if not settings.smtp_host:
            raise ConfigurationError(
                "XINYONG_NOTIFY_SENDER=smtp needs XINYONG_SMTP_HOST",
                message_zh="邮件通知需要配置 SMTP 服务器",
                rule="settings.smtp_host",
            )
        return SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.notify_email)
    raise ConfigurationError(
        f"XINYONG_NOTIFY_SENDER must be log, file or smtp, not {kind!r}",
        message_zh="通知方式须为 log、file 或 smtp",
        rule="settings.notify_sender",
    )
