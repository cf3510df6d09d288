"""From an event to messages: record one notification per recipient, then start one dispatch per channel target
the organisation's preferences and webhook endpoints ask for. Also tells an owner when its messages die."""

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Counter

from services.contracts.envelope import Envelope
from services.notify import notifications
from services.notify.db import Database, stored_time
from services.notify.deliveries import Dispatcher, dispatch_id, paused_until
from services.notify.event_types import DEAD_LETTERED_SUFFIX, DISABLED_TYPE, TEST_TYPE, dead_lettered
from services.notify.numbering import Numbers
from services.notify.preferences import HELD_CHANNELS, PreferenceStore, Unreadable, urgent
from services.notify.pulse import Pulse
from services.notify.tails import Tails
from services.notify.webhooks import TARGETED, Endpoints


@dataclass(frozen=True)
class Plan:
    targets: list[tuple[str, str, dict]]  # (channel, target id, target)
    release_at: datetime | None  # the end of the quiet hours, for the channels people read
    streamed: bool

    def held(self, channel: str) -> bool:
        return self.release_at is not None and channel in HELD_CHANNELS

    @property
    def sends_now(self) -> bool:
        return any(not self.held(channel) for channel, _, _ in self.targets)


@dataclass(frozen=True)
class Batch:
    """Notifications about to be recorded: their documents and plans by message index, and the groups they are
    inserted in."""
    docs: dict[int, dict]
    plans: list[Plan]
    groups: list[list[int]]
    numbered_at: float  # when their sequence numbers were taken (the notifier's clock)


@dataclass(frozen=True)
class Message:
    """One notification to record: to whom, about what, and the key its id is derived from."""
    org_id: str
    type: str
    subject: str
    data: dict
    key: str
    event_id: str | None = None
    exclude: tuple[str, ...] = ()
    digestible: bool = True
    endpoint: dict | None = None  # this webhook endpoint alone, whatever its types and the preferences (a test)
    when: str = ""  # the id's part that grows with time (`notifications.time_order`)


NOTIFIED = Counter("notify_notifications_total", "Notifications stored", ["type"])
# Notifications inserted per round trip: the first webhooks of a fetch leave after one small insert (two, or one
# per recipient waiting for its first message, at most FIRST_GROUP_MAX, see `in_line`), not after all of them, and
# the rest go in groups of up to LATER_GROUP. On the embedded server an insert command costs about 1.25 ms of its
# CPU plus 0.34 ms per notification (measured with 1 to 16 per command). The next batch waits until this one is
# stored, so every round trip after the first lengthens its wait: with the rest cut 16 and then 64 at a time, a
# batch of 10 match events (20 notifications, three inserts) took notify p50 18.8 ms and 1.87 ms per event at
# 50 postings/s, against 14.5 ms and 1.57 ms with the rest inserted together (one pair of runs).
FIRST_GROUP, FIRST_GROUP_MAX, LATER_GROUP = 2, 16, 64
# A group still waiting this long after its batch was numbered (a tail behind slow inserts) takes new numbers
# before its insert: the live stream passes a missing number once a later notification is `sse_settle_seconds`
# old, so a number must be used soon after it is taken (`numbering`: within about 8 s of its reservation with the
# default 10 s). The numbers given up are never used, like any a reservation leaves over.
RENUMBER_AFTER = 3.0


def groups(order: list[int], first: int = FIRST_GROUP) -> list[list[int]]:
    """`order` cut into the groups inserted one after another: `first` (FIRST_GROUP unless more recipients wait for
    their first message), then LATER_GROUPs."""
    cut = [order[:first], *(order[g:g + LATER_GROUP] for g in range(first, len(order), LATER_GROUP))]
    return [group for group in cut if group]


def in_line(recipients: list[str], sends_now: list[bool]) -> tuple[list[int], int]:
    """The order a batch's notifications are inserted in, and how many go in the first group. Those with a channel
    to send on at once come first, and among them every recipient's first before anyone's second: an organisation
    whose message came in the same batch as another's eight does not wait for those eight. The first group holds
    each such recipient's first message (at least FIRST_GROUP, at most FIRST_GROUP_MAX notifications)."""
    taken: dict[str, int] = {}
    key = []
    for i, (org_id, now) in enumerate(zip(recipients, sends_now, strict=True)):
        turn = taken.get(org_id, 0) if now else 0
        if now:
            taken[org_id] = turn + 1
        key.append((not now, turn, i))
    return sorted(range(len(key)), key=key.__getitem__), min(FIRST_GROUP_MAX, max(FIRST_GROUP, len(taken)))


class Notifier:
    def __init__(self, db: Database, endpoints: Endpoints, preferences: PreferenceStore, pulse: Pulse,
                 numbers: Numbers, clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self.endpoints, self.preferences, self.pulse, self.numbers = db, endpoints, preferences, pulse, numbers
        self.clock = clock
        self.dispatcher: Dispatcher | None = None  # set by the composition root (the dispatcher calls us back)
        self.tails = Tails()

    async def on_events(self, events: list[Envelope]) -> asyncio.Task | None:
        """A batch of events: each recipient's first message recorded and sent at once, the rest left to a tail
        (`tails`), returned still running: the consumer commits the batch once it is done."""
        messages = []
        for event in events:
            orgs = notifications.recipients(event)
            if not orgs and event.type in notifications.FEEDBACK_TYPES:  # published without the parties
                orgs = [o for o in await notifications.match_parties(self.db, event.data["match_id"])
                        if o != event.data.get("org_id")]
            when = notifications.time_order(event.data)
            messages += [Message(o, event.type, event.subject, notifications.seen_by(event.type, event.data, o),
                                 event.id, event.id, when=when) for o in orgs]
        batch = await self._prepare(messages)
        if batch is None:
            return None
        first, *rest = batch.groups
        await self._store([first], batch)
        return await self.tails.start(lambda: self._store(rest, batch)) if rest else None

    async def notify(self, org_id: str, type_: str, subject: str, data: dict, key: str,
                     event_id: str | None = None, exclude: tuple[str, ...] = (), digestible: bool = True) -> dict:
        return (await self.record_and_send([Message(org_id, type_, subject, data, key, event_id, exclude,
                                                    digestible)]))[0]

    async def test_webhook(self, endpoint: dict) -> dict:
        """A signed `webhook.test` message to one endpoint, recorded and retried like any other (its delivery
        records show how the receiver answered); not on the stream, nor in a digest."""
        data = {"org_id": endpoint["org_id"], "endpoint_id": endpoint["_id"], "url": endpoint["url"]}
        key = f"{endpoint['_id']}:test:{uuid.uuid4().hex}"
        message = Message(endpoint["org_id"], TEST_TYPE, endpoint["_id"], data, key, digestible=False,
                          endpoint=endpoint)
        return (await self.record_and_send([message]))[0]

    async def _plan(self, message: Message) -> Plan:
        """The channel targets an organisation wants this message on, until when quiet hours hold the ones people
        read, and whether it shows on the live stream. An organisation whose stored channels are invalid gets
        its notification kept, and sent nowhere: the others in the batch are not held up by it."""
        org_id, type_, exclude, digestible = message.org_id, message.type, message.exclude, message.digestible
        if message.endpoint is not None:
            return Plan([("webhook", message.endpoint["_id"], message.endpoint)], None, streamed=False)
        try:
            prefs = await self.preferences.of(org_id)
        except Unreadable:  # logged by the store
            return Plan([], None, streamed=False)
        targets: list[tuple[str, str, dict]] = []
        if prefs.wants(type_):
            if prefs.channels.webhook and "webhook" not in exclude:
                targets += [("webhook", e["_id"], e) for e in await self.endpoints.targeted_for(org_id, type_)]
            if digestible and prefs.digest.enabled and not urgent(type_):
                exclude = (*exclude, "email")
            targets += [(c, t["_id"], t) for c, t in prefs.targets().items() if c not in exclude]
        return Plan(targets, prefs.release_at(datetime.now(UTC), type_), prefs.channels.sse)

    async def record_and_send(self, messages: list[Message]) -> list[dict]:
        """Records one notification per message and starts their dispatches; returns them once all are stored.
        With a daily digest on, e-mail waits for the digest (warnings excepted)."""
        batch = await self._prepare(messages)
        if batch is None:
            return []
        stored = await self._store(batch.groups, batch)
        return [stored[i] for i in range(len(messages))]

    async def _prepare(self, messages: list[Message]) -> Batch | None:
        """The notifications of `messages`, in the groups they are inserted in. The sequence numbers come from this
        replica's reservation, or one round trip reserves them (`numbering`; preferences and endpoints come from
        short-lived caches meanwhile); those with a channel to send to at once go first."""
        assert self.dispatcher is not None
        if not messages:
            return None
        numbers, *plans = await asyncio.gather(self.numbers.take(len(messages)), *(self._plan(m) for m in messages))
        order, first = in_line([m.org_id for m in messages], [p.sends_now for p in plans])
        docs = {i: self._document(messages[i], plans[i], numbers[rank]) for rank, i in enumerate(order)}
        return Batch(docs, plans, groups(order, first), self.clock())

    async def _store(self, cut: list[list[int]], batch: Batch) -> dict[int, dict]:
        """Inserts the groups one after another (concurrent inserts would interleave on the server), each group's
        messages sent as soon as it is stored; returns each notification as stored by message index (the existing
        one where an earlier delivery of the event stored it)."""
        assert self.dispatcher is not None
        docs, plans, stored = batch.docs, batch.plans, {}
        for group in cut:
            # The numbers (if they are old), the creation time and the lease all date from the insert, however long
            # the group waited for its turn: the live stream takes a number below one created `settle` seconds ago
            # as one that will never land.
            if self.clock() - batch.numbered_at > RENUMBER_AFTER:
                for i, seq in zip(group, await self.numbers.take(len(group)), strict=True):
                    docs[i]["seq"] = seq
            created = stored_time(datetime.now(UTC))
            for i in group:
                docs[i]["created_at"] = created
                if "claimed_until" in docs[i]:
                    docs[i]["claimed_until"] = self.dispatcher.lease()
            with self.dispatcher.claiming([did for i in group for did in docs[i].get("undispatched", [])]):
                recorded = await notifications.record_many(self.db, [docs[i] for i in group])
                self.dispatcher.note_recorded([notification for notification, new in recorded if new])
                for i, (notification, new) in zip(group, recorded, strict=True):
                    stored[i] = notification
                    if new:  # else its creator sends it (or, if that one died, the replica adopting its dispatches)
                        await self._start(notification, plans[i])
        return stored

    def _document(self, message: Message, plan: Plan, seq: int) -> dict:
        """A notification with the claims on its first attempts (see `deliveries`)."""
        assert self.dispatcher is not None
        doc = notifications.new(message.org_id, message.type, message.subject, message.data, message.key,
                                message.event_id, seq, streamed=plan.streamed, when=message.when)
        claimed = [dispatch_id(doc["_id"], c, t) for c, t, _ in plan.targets]
        if claimed:  # claimed in the notification's own insert: whoever creates it owns its first attempts
            doc |= {"undispatched": claimed, "claimed_until": self.dispatcher.lease(),
                    "claimed_by": self.dispatcher.replica}
        if plan.release_at and any(plan.held(c) for c, _, _ in plan.targets):
            doc["release_at"] = plan.release_at  # an orphan adopter holds these too
        return doc

    async def _start(self, notification: dict, plan: Plan) -> None:
        """A new notification: counted, announced to the live stream, and sent on (or held for) each target."""
        assert self.dispatcher is not None
        NOTIFIED.labels(notification["type"]).inc()
        if plan.streamed:
            self.pulse.fire([notification["org_id"]])
        for channel, target_id, target in plan.targets:
            paused = target.get("status") == "paused"  # a paused webhook endpoint: waits until it is enabled
            if paused or plan.held(channel):
                until = paused_until() if paused or plan.release_at is None else plan.release_at
                waiting = dispatch_id(notification["_id"], channel, target_id)
                await self.dispatcher.hold(notification, channel, target_id, until, held=not paused, paused=paused)
                await self.dispatcher.settle_claim(notification["_id"], waiting)
                if paused:
                    await self.dispatcher.unless_resumed({"_id": waiting, "channel": channel, "target_id": target_id,
                                                          "org_id": notification["org_id"]})
            else:
                self.dispatcher.send_first(notification, channel, target_id, target)

    async def load_target(self, dispatch: dict) -> dict | None:
        """The current target of a dispatch (for retries): None when it was removed or disabled meanwhile, or its
        organisation's stored preferences are invalid."""
        if dispatch["channel"] == "webhook":
            endpoint = await self.endpoints.get(dispatch["target_id"])
            return endpoint if endpoint and endpoint["status"] in TARGETED else None
        try:
            prefs = await self.preferences.of(dispatch["org_id"])
        except Unreadable:
            return None
        return prefs.targets().get(dispatch["channel"])

    async def dead_lettered(self, dispatch: dict, notification: dict) -> None:
        """Tells the owner on its other channels (and the live stream) that a message went to the dead letters."""
        if notification["type"].endswith(DEAD_LETTERED_SUFFIX):
            return  # never a chain of warnings about warnings
        channel = dispatch["channel"]
        await self.notify(notification["org_id"], dead_lettered(channel), dispatch["_id"], {
            "org_id": notification["org_id"], "dead_letter_id": dispatch["_id"], "channel": channel,
            "target_id": dispatch["target_id"], "notification_id": notification["_id"],
            "event_type": notification["type"], "attempts": dispatch["attempts"]},
            key=f"{dispatch['_id']}:dead:{dispatch['attempts']}", exclude=(channel,))

    async def gone(self, dispatch: dict, endpoint: dict) -> None:
        """A webhook receiver answered 410 Gone: its endpoint is disabled, and the owner is told elsewhere."""
        await self.endpoints.disable(endpoint, "the receiver answered 410 Gone")
        await self.notify(endpoint["org_id"], DISABLED_TYPE, endpoint["_id"], {
            "org_id": endpoint["org_id"], "endpoint_id": endpoint["_id"], "url": endpoint["url"],
            "reason": "the receiver answered 410 Gone"}, key=f"{endpoint['_id']}:gone:{dispatch['_id']}",
            exclude=("webhook",))
