"""The parser's two routes: ElementTree's C parser for a file that cannot declare a DTD, defusedxml for the rest."""

from __future__ import annotations

import pytest

from bot.sources import un_xml
from tests.fixtures.lists import BILLION_LAUGHS, EXTERNAL_ENTITY, consolidated, individual


def test_only_a_file_with_a_doctype_or_nul_bytes_takes_the_defused_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = un_xml.fromstring

    def spy(data: bytes, **kwargs: bool) -> object:
        calls.append(data)
        return real(data, **kwargs)

    monkeypatch.setattr(un_xml, "fromstring", spy)
    plain = consolidated([individual("KPi.001", "KIM")], [])
    un_xml.parse_consolidated_list(plain)
    assert calls == []
    for hostile in (BILLION_LAUGHS, EXTERNAL_ENTITY, plain.replace(b"<CONSOLIDATED_LIST", b"<!DOCTYPE x><x/><", 1)):
        with pytest.raises(un_xml.HostileXml):
            un_xml.parse_consolidated_list(hostile)
    utf16 = plain.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert un_xml.parse_consolidated_list(utf16).entries[0].name == "KIM"
    assert len(calls) == 4
