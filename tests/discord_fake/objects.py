"""Discord object payloads (users, guilds, channels, roles, members, messages) and permission maths."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits used by the fake (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
BOT_DEFAULT = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS

_counter = itertools.count()
_lock = threading.Lock()


def snowflake(at: float | None = None) -> int:
    """A fresh, time-ordered Discord snowflake (for now, or for the Unix time `at`)."""
    with _lock:
        inc = next(_counter) & 0xFFF
    ms = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (1 << 17) | inc


def iso_now() -> str:
    """The current UTC time as Discord's ISO-8601 timestamp."""
    return dt.datetime.now(dt.UTC).isoformat()


def make_user(user_id: int, username: str | None = None, *, bot: bool = False, **extra: Any) -> dict[str, Any]:
    """A User object."""
    user = {
        "id": str(user_id),
        "username": username or f"user{user_id % 100000}",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
    }
    if bot:
        user["bot"] = True
    user.update(extra)
    return user


def make_role(role_id: int, name: str, permissions: int, *, position: int = 0, **extra: Any) -> dict[str, Any]:
    """A Role object."""
    role = {
        "id": str(role_id),
        "name": name,
        "description": None,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    role.update(extra)
    return role


def normalize_channel(raw: dict[str, Any] | int, guild_id: int | None, index: int) -> dict[str, Any]:
    """A full Channel object from a partial dict (id required) or a bare id."""
    data: dict[str, Any] = {"id": raw} if isinstance(raw, int) else dict(raw)
    if "id" not in data:
        raise ValueError(f"channel needs an id: {raw!r}")
    cid = int(data["id"])
    channel: dict[str, Any] = {
        "id": str(cid),
        "type": 0,
        "name": f"channel-{index}",
        "position": index,
        "permission_overwrites": [],
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
    }
    if guild_id is not None:
        channel["guild_id"] = str(guild_id)
    channel.update({k: v for k, v in data.items() if k != "id"})
    channel["permission_overwrites"] = [
        {
            "id": str(o["id"]),
            "type": int(o.get("type", 0)),
            "allow": str(o.get("allow", 0)),
            "deny": str(o.get("deny", 0)),
        }
        for o in channel["permission_overwrites"]
    ]
    if channel.get("parent_id") is not None:
        channel["parent_id"] = str(channel["parent_id"])
    if channel["type"] in (2, 13):
        channel.setdefault("bitrate", 64000)
        channel.setdefault("user_limit", 0)
    return channel


def normalize_role(raw: dict[str, Any], index: int) -> dict[str, Any]:
    """A full Role object from a partial dict (id required)."""
    data = dict(raw)
    rid = int(data.pop("id"))
    perms = int(data.pop("permissions", 0))
    name = data.pop("name", f"role-{index}")
    position = int(data.pop("position", index + 1))
    return make_role(rid, name, perms, position=position, **data)


def make_member(
    user: dict[str, Any], roles: list[int], *, joined_at: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A guild Member object (with its user)."""
    member = {
        "user": user,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at or "2024-01-01T00:00:00+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    member.update(extra)
    return member


@dataclass
class GuildState:
    """A guild as the fake keeps it: payload dicts keyed by id strings."""

    id: int
    name: str
    owner_id: int
    roles: dict[str, dict[str, Any]]
    channels: dict[str, dict[str, Any]]
    members: dict[str, dict[str, Any]]
    locale: str = "en-US"
    extra: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload (a full guild with channels, roles and members)."""
        channels = [{k: v for k, v in c.items() if k != "guild_id"} for c in self.channels.values()]
        data: dict[str, Any] = {
            **self.rest_payload(),
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": list(self.members.values()),
            "channels": channels,
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
        return data

    def rest_payload(self) -> dict[str, Any]:
        """The guild object GET /guilds/{id} returns."""
        text = [c for c in self.channels.values() if c["type"] == 0]
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": list(self.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": text[0]["id"] if text else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.locale,
            "nsfw_level": 0,
            "max_members": 500000,
            "max_video_channel_users": 25,
        }
        data.update(self.extra)
        return data

    def member_permissions(self, member: dict[str, Any], channel: dict[str, Any] | None = None) -> int:
        """A member's permissions in the guild, or in a channel if given (Discord's overwrite order)."""
        if int(member["user"]["id"]) == self.owner_id:
            return ALL_PERMISSIONS
        everyone = self.roles.get(str(self.id))
        perms = int(everyone["permissions"]) if everyone else 0
        for rid in member.get("roles", []):
            role = self.roles.get(str(rid))
            if role is not None:
                perms |= int(role["permissions"])
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return perms
        overwrites = {o["id"]: o for o in channel.get("permission_overwrites", [])}
        ow = overwrites.get(str(self.id))
        if ow:
            perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
        allow = deny = 0
        for rid in member.get("roles", []):
            o = overwrites.get(str(rid))
            if o and int(o.get("type", 0)) == 0:
                allow |= int(o["allow"])
                deny |= int(o["deny"])
        perms = (perms & ~deny) | allow
        mo = overwrites.get(str(member["user"]["id"]))
        if mo and int(mo.get("type", 1)) == 1:
            perms = (perms & ~int(mo["deny"])) | int(mo["allow"])
        return perms if perms & VIEW_CHANNEL else 0


def make_attachment(att_id: int, filename: str, data: bytes, base_url: str, **extra: Any) -> dict[str, Any]:
    """An Attachment object served by the fake at base_url."""
    url = f"{base_url}/attachments/{att_id}/{filename}"
    att = {
        "id": str(att_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": "application/octet-stream",
    }
    att.update({k: v for k, v in extra.items() if v is not None})
    return att


def make_message(
    channel_id: int,
    author: dict[str, Any],
    body: dict[str, Any],
    attachments: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    """A Message object created from a request body."""
    embeds = []
    for e in body.get("embeds") or []:
        if isinstance(e, dict):
            emb = dict(e)
            emb.setdefault("type", "rich")
            embeds.append(emb)
    msg: dict[str, Any] = {
        "id": str(snowflake()),
        "type": 0,
        "channel_id": str(channel_id),
        "author": author,
        "content": body.get("content") or "",
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts") or False),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments,
        "embeds": embeds,
        "components": list(body.get("components") or []),
        "pinned": False,
        "flags": int(body.get("flags") or 0),
    }
    if body.get("poll"):
        msg["poll"] = body["poll"]
    msg.update(extra)
    return msg


def apply_edit(msg: dict[str, Any], body: dict[str, Any], new_attachments: list[dict[str, Any]]) -> None:
    """Apply an edit (PATCH body or UPDATE_MESSAGE data) to a stored message in place."""
    if "content" in body:
        msg["content"] = body["content"] or ""
    if "embeds" in body:
        msg["embeds"] = [dict(e, type=e.get("type", "rich")) for e in body["embeds"] or [] if isinstance(e, dict)]
    if "components" in body:
        msg["components"] = list(body["components"] or [])
    if "flags" in body and body["flags"] is not None:
        # An edit cannot make a message ephemeral or public: that bit stays as the message was created.
        msg["flags"] = (int(body["flags"]) & ~EPHEMERAL) | (msg.get("flags", 0) & EPHEMERAL)
    msg["flags"] = msg.get("flags", 0) & ~LOADING
    if "attachments" in body:
        keep = {str(a.get("id")) for a in body["attachments"] or [] if isinstance(a, dict)}
        msg["attachments"] = [a for a in msg.get("attachments", []) if a["id"] in keep]
    msg["attachments"] = list(msg.get("attachments", [])) + new_attachments
    msg["edited_timestamp"] = iso_now()
