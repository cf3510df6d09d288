"""E-mail over SMTP (aiosmtplib; STARTTLS and login from settings), zh-CN or en, plain text and HTML parts."""

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
from jinja2 import Environment, PackageLoader, select_autoescape

from services.notify.channels import Outcome
from services.notify.messages import facts, locale_of, title
from services.notify.settings import Settings

LABELS = {
    "zh-CN": {"match_id": "对接编号", "score": "匹配度", "need_id": "需求编号", "counterpart_id": "对方成果/专家/产品",
              "counterpart_kind": "对方类型", "decision": "答复", "reason": "原因", "summit_id": "对接会",
              "meeting_id": "洽谈编号", "kind": "类型", "status": "状态", "amount": "金额（元）",
              "endpoint_id": "端点", "url": "地址", "channel": "渠道", "attempts": "尝试次数",
              "event_type": "事件类型", "notification_id": "通知编号"},
    "en": {},
}

templates = Environment(loader=PackageLoader("services.notify", "templates"),
                        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False))


def compose(notification: dict, to: str, sender: str, locale: str) -> EmailMessage:
    locale = locale_of(locale)
    context = {"title": title(notification, locale), "facts": facts(notification), "type": notification["type"],
               "created_at": notification["created_at"].isoformat(timespec="seconds"), "labels": LABELS[locale]}
    message = EmailMessage()
    message["Subject"] = context["title"]
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)  # RFC 5322 requires it; neither EmailMessage nor aiosmtplib adds it
    message["Message-ID"] = make_msgid(idstring=notification["_id"], domain="duijie")
    message["X-Duijie-Notification-Id"] = notification["_id"]
    message.set_content(templates.get_template(f"notification.{locale}.txt.j2").render(context))
    message.add_alternative(templates.get_template(f"notification.{locale}.html.j2").render(context), subtype="html")
    message["Content-Language"] = locale  # after the parts: setting content drops earlier Content-* headers
    return message


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.tls_context = tls_context  # None: the system's trusted CAs verify the server's certificate

    async def send(self, notification: dict, target: dict) -> Outcome:
        s = self.settings
        if not s.smtp_host:
            return Outcome(False, error="no SMTP server configured (DUIJIE_SMTP_HOST)")
        message = compose(notification, target["address"], s.smtp_from, target.get("locale", "zh-CN"))
        try:
            errors, response = await aiosmtplib.send(
                message, hostname=s.smtp_host, port=s.smtp_port, start_tls=s.smtp_starttls,
                username=s.smtp_username or None, password=s.smtp_password or None, timeout=s.smtp_timeout_seconds,
                tls_context=self.tls_context)
        except aiosmtplib.SMTPException as error:
            return Outcome(False, error=f"{type(error).__name__}: {error}"[:500])
        except OSError as error:
            return Outcome(False, error=f"{type(error).__name__}: {error}"[:500])
        if errors:
            return Outcome(False, body=str(errors)[:500], error="recipient refused")
        return Outcome(True, 250, response[:500])
