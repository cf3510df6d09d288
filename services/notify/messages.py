"""What a notification says to a person: a title and a few lines, in zh-CN or en (e-mail, robots, digests)."""

TITLES = {
    "zh-CN": {"match.proposed": "新的对接推荐", "match.retracted": "对接推荐已撤回", "match.accepted": "对方接受了对接",
              "match.declined": "对方婉拒了对接", "meeting.requested": "新的洽谈邀约",
              "meeting.accepted": "洽谈邀约已接受", "meeting.declined": "洽谈邀约被婉拒",
              "meeting.expired": "洽谈邀约已过期", "meeting.checked_in": "洽谈签到", "meeting.missed": "洽谈未如期进行",
              "participant.registered": "对接会参会人已登记", "schedule.published": "对接会日程已发布",
              "followup.due": "请反馈洽谈进展", "followup.answered": "洽谈进展已反馈",
              "deal.drafted": "技术合同草稿已创建", "deal.amended": "技术合同已修改", "deal.signed": "技术合同已签订",
              "deal.registered": "技术合同已登记", "deal.performed": "技术合同已履行",
              "deal.terminated": "技术合同已终止",
              "webhook.dead_lettered": "Webhook 投递失败，消息已转入死信", "webhook.disabled": "Webhook 端点已停用",
              "email.dead_lettered": "邮件投递失败，消息已转入死信",
              "wecom.dead_lettered": "企业微信机器人投递失败，消息已转入死信",
              "dingtalk.dead_lettered": "钉钉机器人投递失败，消息已转入死信",
              "digest.daily": "每日对接摘要", "webhook.test": "Webhook 测试消息"},
    "en": {"match.proposed": "New match proposed", "match.retracted": "Match retracted",
           "match.accepted": "Your match was accepted", "match.declined": "Your match was declined",
           "meeting.requested": "New meeting request", "meeting.accepted": "Meeting request accepted",
           "meeting.declined": "Meeting request declined", "meeting.expired": "Meeting request expired",
           "meeting.checked_in": "Meeting check-in", "meeting.missed": "Meeting missed",
           "participant.registered": "Summit participant registered", "schedule.published": "Summit schedule published",
           "followup.due": "How did your meeting go?", "followup.answered": "Meeting follow-up answered",
           "deal.drafted": "Technology contract drafted", "deal.amended": "Technology contract amended",
           "deal.signed": "Technology contract signed", "deal.registered": "Technology contract registered",
           "deal.performed": "Technology contract performed", "deal.terminated": "Technology contract terminated",
           "webhook.dead_lettered": "Webhook delivery failed: message dead-lettered",
           "email.dead_lettered": "E-mail delivery failed: message dead-lettered",
           "wecom.dead_lettered": "WeCom robot delivery failed: message dead-lettered",
           "dingtalk.dead_lettered": "DingTalk robot delivery failed: message dead-lettered",
           "webhook.disabled": "Webhook endpoint disabled", "digest.daily": "Your daily Duijie digest",
           "webhook.test": "Webhook test message"},
}
FIELDS = ("match_id", "score", "need_id", "counterpart_id", "counterpart_kind", "decision", "reason", "summit_id",
          "meeting_id", "kind", "status", "amount", "endpoint_id", "url", "channel", "attempts", "event_type",
          "date", "count", "summary")


def locale_of(value: str | None) -> str:
    return "en" if (value or "").lower().startswith("en") else "zh-CN"


def title(notification: dict, locale: str = "zh-CN") -> str:
    names = TITLES[locale_of(locale)]
    return names.get(notification["type"], f"{'通知' if locale_of(locale) == 'zh-CN' else 'Notification'}: "
                                           f"{notification['type']}")


def facts(notification: dict) -> list[tuple[str, str]]:
    """The notification's telling fields, in a stable order."""
    data = notification.get("data", {})
    out = [(name, str(data[name])) for name in FIELDS if data.get(name) not in (None, "", [])]
    return [*out, ("notification_id", notification["_id"])]


MARKDOWN_VALUE_CHARS = 200  # a fact longer than this (a long URL, say) is cut in a chat message


def clipped(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8 at a character's end, an ellipsis marking the cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit - len("…".encode())].decode("utf-8", "ignore") + "…"


def _short(value: str) -> str:
    return value if len(value) <= MARKDOWN_VALUE_CHARS else value[:MARKDOWN_VALUE_CHARS - 1] + "…"


def markdown(notification: dict, locale: str = "zh-CN") -> tuple[str, str]:
    """A robot message: (title, markdown body), each fact at most `MARKDOWN_VALUE_CHARS` characters."""
    head = title(notification, locale)
    lines = [f"### {head}", *(f"> {name}: {_short(value)}" for name, value in facts(notification))]
    return head, "\n".join(lines)
