"""Use it anywhere (issue 15): read-only commands install to user accounts and answer in DMs; server settings stay
server-only; /about's invite button; Korean names and labels by the user's locale — through the local Discord,
which checks every command body (localisations, contexts, integration types) against Discord's contract."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import ALICE, E2E

pytestmark = pytest.mark.both_engines

READ_ONLY = ("sanctions", "committee", "statement", "about", "help")
SERVER_ONLY = ("admin", "digest", "feeds", "watch")


def _fields(data: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for e in data["embeds"] for f in e.get("fields", [])}


def _walk(node: dict, path: str = "") -> list[tuple[str, dict]]:
    out = [(f"{path}{node['name']}", node)]
    for option in node.get("options") or []:
        out += _walk(option, f"{path}{node['name']} ")
    return out


async def test_read_only_commands_install_to_users_and_settings_stay_in_servers(e2e: E2E) -> None:
    registered = {c["name"]: c for c in e2e.fake.commands()}
    for name in READ_ONLY:
        assert registered[name]["integration_types"] == [0, 1], name  # guild install and user install
        assert registered[name]["contexts"] == [0, 1, 2], name  # servers, the bot's DMs, other DMs and groups
    for name in SERVER_ONLY:
        assert registered[name]["contexts"] == [0], name
        assert registered[name]["integration_types"] == [0], name


async def test_read_only_commands_answer_in_a_dm(e2e: E2E) -> None:
    res = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, guild_id=None, user_id=ALICE)
    assert res.interaction["context"] == 1 and "guild_id" not in res.interaction
    fields = _fields(res.data)
    assert fields["Individuals"] == "80" and fields["Entities"] == "75"
    info = await e2e.fake.invoke("committee members", {"year": 2018}, guild_id=None, user_id=ALICE)
    assert "Netherlands" in str(info.data)


async def test_about_offers_an_invite_built_from_the_application_id(e2e: E2E) -> None:
    res = await e2e.fake.invoke("about", {}, user_id=ALICE)
    buttons = [c for row in res.data.get("components", []) for c in row["components"]]
    links = {b["label"]: b["url"] for b in buttons if b.get("style") == 5}
    server = parse_qs(urlparse(links["Invite to a server"]).query)
    assert server["client_id"] == [str(e2e.fake.application_id)]
    assert server["scope"] == ["bot applications.commands"] and server["integration_type"] == ["0"]
    assert server["permissions"] == [str(1024 | 2048 | 16384)]  # View Channel, Send Messages, Embed Links only
    user = parse_qs(urlparse(links["Add to my apps"]).query)
    assert user["client_id"] == [str(e2e.fake.application_id)] and user["integration_type"] == ["1"]
    assert user["scope"] == ["applications.commands"]


async def test_korean_names_descriptions_and_options_are_registered(e2e: E2E) -> None:
    registered = {c["name"]: c for c in e2e.fake.commands()}
    nodes = dict(node for name in READ_ONLY for node in _walk(registered[name]))
    assert nodes["sanctions"]["name_localizations"] == {"ko": "제재"}
    assert nodes["sanctions count"]["name_localizations"] == {"ko": "집계"}
    assert nodes["sanctions count regime"]["name_localizations"] == {"ko": "제재체제"}
    assert nodes["sanctions count as_of"]["name_localizations"] == {"ko": "기준일"}
    assert nodes["statement quotes search"]["name_localizations"] == {"ko": "검색어"}
    kind = nodes["sanctions search kind"]
    assert {c["value"]: c["name_localizations"] for c in kind["choices"]} == {
        "individual": {"ko": "개인"},
        "entity": {"ko": "단체"},
    }
    for path, node in nodes.items():  # every name, description and option of the read-only commands
        assert node["name_localizations"].get("ko"), path
        assert node["description_localizations"].get("ko"), path


async def test_answers_use_the_users_locale_and_keep_the_data(e2e: E2E) -> None:
    korean = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, locale="ko")
    fields = _fields(korean.data)
    assert fields["개인"] == "80" and fields["단체"] == "75" and fields["합계"] == "155"
    assert korean.data["embeds"][0]["title"] == "유엔 제재 목록 — DPRK"  # the regime as the UN spells it
    english = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, locale="en-GB")
    assert _fields(english.data)["Individuals"] == "80"
    entry = await e2e.fake.invoke("sanctions entry", {"reference": "KPi.033"}, user_id=ALICE, locale="ko")
    entry_fields = _fields(entry.data)
    assert entry_fields["등재일"] == "2016-11-30" and entry.data["embeds"][0]["title"] == "KPi.033 — RI WON HO"


def _leaves(node: dict, names: tuple[str, ...] = ()) -> list[tuple[str, dict]]:
    """(path in Korean, node) of every command a user runs: the leaves below groups and subcommand groups, each
    name as Discord shows it to a Korean-speaking user (its Korean name, else the English one)."""
    names = (*names, (node.get("name_localizations") or {}).get("ko", node["name"]))
    below = [o for o in node.get("options") or [] if o["type"] in (1, 2)]  # subcommands, subcommand groups
    if not below:
        return [(" ".join(names), node)]
    return [leaf for option in below for leaf in _leaves(option, names)]


async def test_help_lists_the_commands_as_the_user_sees_them(e2e: E2E) -> None:
    korean = json.dumps((await e2e.fake.invoke("help", {}, user_id=ALICE, locale="ko")).data, ensure_ascii=False)
    registered = {c["name"]: c for c in e2e.fake.commands()}
    leaves = [leaf for name in READ_ONLY for leaf in _leaves(registered[name])]
    assert len(leaves) >= 15
    for path, node in leaves:  # each command by the name and description Discord shows a Korean-speaking user
        assert f"`/{path}" in korean, path
        assert f"— {node['description_localizations']['ko']}" in korean, path
        assert node["description"] not in korean, path
    english = json.dumps((await e2e.fake.invoke("help", {}, user_id=ALICE, locale="en-GB")).data)
    assert "`/sanctions count [regime] [as_of]` \\u2014 How many individuals and entities" in english


async def test_the_pager_speaks_the_users_language(e2e: E2E) -> None:
    res = await e2e.fake.invoke("sanctions changes", {}, user_id=ALICE, locale="ko")
    labels = [c.get("label") for row in res.data["components"] for c in row["components"]]
    assert labels[0] == "이전" and labels[-1] == "다음" and labels[1] == "1 / 89"
    english = await e2e.fake.invoke("sanctions changes", {}, user_id=ALICE)
    assert next(c.get("label") for row in english.data["components"] for c in row["components"]) == "Previous"


async def test_refusals_speak_the_users_language_too(e2e: E2E) -> None:
    res = await e2e.fake.invoke("sanctions entry", {"reference": "KPi.081"}, user_id=ALICE, locale="ko")
    embed = res.data["embeds"][0]
    assert embed["title"] == "처리하지 못했습니다" and "KPi.001 to KPi.080" in embed["description"]
    assert res.data["flags"] & (1 << 6)


async def test_a_user_install_answers_in_a_group_dm(e2e: E2E) -> None:
    # What Discord sends when a user who installed the app runs a command in a group DM with friends: context 2,
    # the integration owned by the user (key "1"), no server and no bot in the channel. (The fake's invoke()
    # builds DM payloads for the bot's own DMs; this one is that payload, changed as Discord would send it.)
    fake = e2e.fake
    data, refs = fake._command_data("sanctions count", {"regime": "DPRK"}, None)
    payload, user = fake._interaction_payload(
        2, data, user_id=ALICE, guild_id=None, channel_id=None, permissions=None, locale="en-US", refs=refs
    )
    payload["context"] = 2
    payload["authorizing_integration_owners"] = {"1": str(ALICE)}
    payload["channel"] = {**payload["channel"], "type": 3, "name": "friends", "recipients": [user]}
    res = await fake._run_interaction(payload, user, 5.0)
    fields = _fields(res.data)
    assert fields["Individuals"] == "80" and fields["Entities"] == "75"
    assert not (res.data.get("flags") or 0) & (1 << 6)
