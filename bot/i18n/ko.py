"""Korean (ko): command names, descriptions, option names and choices, and the fixed labels of answers.

Keyed by the English text the code declares, so a new or changed English string falls back to English until it
is translated here. Data (names on the list, regimes, quotes, sources) is never translated: it stays as the UN and
the sources publish it. Command and option names follow Discord's rules (lowercase, no spaces, 1-32 characters).
"""

from __future__ import annotations

# Command and group names (`/제재 집계`): Discord sends the English name back, so answers need no change.
COMMAND_NAMES: dict[str, str] = {
    "sanctions": "제재",
    "count": "집계",
    "search": "검색",
    "entry": "항목",
    "changes": "변경내역",
    "regimes": "체제",
    "timeline": "추이",
    "committee": "위원회",
    "members": "위원국",
    "info": "정보",
    "resolutions": "결의",
    "statement": "성명",
    "denial": "해킹부인",
    "list": "목록",
    "show": "보기",
    "quotes": "인용문",
    "about": "소개",
    "help": "도움말",
}

OPTION_NAMES: dict[str, str] = {
    "regime": "제재체제",
    "as_of": "기준일",
    "name": "이름",
    "kind": "종류",
    "reference": "참조번호",
    "since": "이후",
    "year": "연도",
    "id": "아이디",
    "search": "검색어",
    "page": "페이지",
}

CHOICES: dict[str, str] = {
    "individual": "개인",
    "entity": "단체",
}

DESCRIPTIONS: dict[str, str] = {
    "Bot version, UN list version and its date, last sync, data sources.": (
        "봇 버전, 유엔 목록의 버전과 날짜, 마지막 동기화, 데이터 출처를 보여 줍니다."
    ),
    "What each command does.": "각 명령어의 기능을 설명합니다.",
    "The UN Security Council Consolidated List.": "유엔 안전보장이사회(안보리) 통합 제재 목록을 조회합니다.",
    "How many individuals and entities are on the list, now or on a past date.": (
        "제재 목록에 등재된 개인과 단체의 수를 현재 또는 지난 날짜 기준으로 집계합니다."
    ),
    "A regime as the list spells it (DPRK, Al-Qaida, Taliban, …); all regimes if left out": (
        "목록에 표기된 그대로의 제재체제(DPRK, Al-Qaida, Taliban 등). 비워 두면 모든 제재체제가 대상입니다"
    ),
    "Count as the list stood on this date (A date as YYYY-MM-DD, e.g. 2018-05-02)": (
        "이 날짜 당시의 목록을 기준으로 집계합니다(YYYY-MM-DD 형식, 예: 2018-05-02)"
    ),
    "Find a name on the list: aliases, original script, spelling variants and typos too.": (
        "제재 목록에서 이름을 찾습니다. 별칭, 원어 표기, 철자 변형과 오타까지 찾아냅니다."
    ),
    "A name or part of one (2 to 100 characters)": "이름 또는 그 일부(2~100자)",
    "Only this regime": "이 제재체제만",
    "Only individuals or only entities": "개인만 또는 단체만",
    "One entry in full, by reference number (e.g. KPi.033), with its history.": (
        "참조번호(예: KPi.033)로 항목 하나의 전체 내용과 변경 이력을 보여 줍니다."
    ),
    "The reference number, e.g. KPi.033 (type a name to look it up)": (
        "참조번호, 예: KPi.033(이름을 입력해 찾을 수도 있습니다)"
    ),
    "Additions, removals and amendments between imported list versions, newest first.": (
        "가져온 목록 버전 사이의 신규 등재, 등재 해제, 수정 내역을 최신순으로 보여 줍니다."
    ),
    "Only versions generated after this date (A date as YYYY-MM-DD, e.g. 2018-05-02)": (
        "이 날짜 이후 생성된 버전만(YYYY-MM-DD 형식, 예: 2018-05-02)"
    ),
    "Every sanctions regime on the list, with its committee, reference prefix and counts.": (
        "목록의 모든 제재체제를 담당 위원회, 참조번호 접두어, 등재 수와 함께 보여 줍니다."
    ),
    "A chart of designations per year, individuals and entities stacked.": (
        "연도별 제재 대상 지정 건수를 개인과 단체로 나눈 누적 막대 차트로 보여 줍니다."
    ),
    "The UN sanctions committees, above all the 1718 (DPRK) Committee.": (
        "유엔 제재위원회, 특히 대북제재위원회(1718 위원회)를 다룹니다."
    ),
    "The fifteen members of the 1718 Committee in a year, with the chair and vice-chairs.": (
        "해당 연도 대북제재위원회(1718 위원회)의 15개 위원국과 의장, 부의장을 보여 줍니다."
    ),
    "A year, e.g. 2018 (default: this year)": "연도, 예: 2018(기본값: 올해)",
    "A sanctions committee: mandate, resolution, measures, Panel of Experts, list counts.": (
        "제재위원회의 임무, 설립 결의, 제재 조치, 전문가 패널, 등재 수를 보여 줍니다."
    ),
    "A regime (DPRK, Al-Qaida, Taliban, 1718, …); default DPRK": (
        "제재체제(DPRK, Al-Qaida, Taliban, 1718 등). 기본값: DPRK"
    ),
    "A regime's Security Council resolutions in order, with dates and what each added.": (
        "제재체제의 안보리 결의를 채택 순서대로 보여 줍니다(결의별 날짜와 추가된 내용 포함)."
    ),
    "Statements about the 1718 Committee, quoted from their sources.": (
        "대북제재위원회(1718 위원회)에 관한 성명을 출처 그대로 인용해 보여 줍니다."
    ),
    "North Korea's denial that it hacked the sanctions committee's database, and answers.": (
        "제재위원회 데이터베이스를 해킹했다는 의혹에 대한 북한의 부인과 그에 대한 반응을 보여 줍니다."
    ),
    "All recorded statements, newest first.": "기록된 모든 성명을 최신순으로 보여 줍니다.",
    "One statement in full, with its quoted passages.": "성명 하나의 전문을 인용 구절과 함께 보여 줍니다.",
    "The statement's id, as /statement list shows it": "/성명 목록에 나오는 성명 아이디",
    "Quoted passages containing some words (full-text search).": "특정 단어가 들어간 인용 구절을 찾습니다(전문 검색).",
    "Words to look for, e.g. hacking campaign": "찾을 단어, 예: hacking campaign",
}

# The fixed labels of answers: field names, title heads and a few inline headings. Whole labels only.
LABELS: dict[str, str] = {
    "Individuals": "개인",
    "Entities": "단체",
    "Total": "합계",
    "Regime": "제재체제",
    "Kind": "종류",
    "Listed on": "등재일",
    "Last updated": "최종 수정일",
    "Name in original script": "원어 표기 이름",
    "Title": "직함",
    "Designation": "직위",
    "Nationality": "국적",
    "Gender": "성별",
    "Date of birth": "생년월일",
    "Place of birth": "출생지",
    "Documents": "신분증명서",
    "Addresses": "주소",
    "Submitted by": "제출국",
    "Also known as": "별칭",
    "Formerly known as": "이전 이름",
    "Aliases — good quality": "별칭 — 신뢰도 높음",
    "Aliases — low quality": "별칭 — 신뢰도 낮음",
    "Other names": "기타 이름",
    "History in the imported versions": "가져온 버전별 이력",
    "How this was counted": "집계 방법",
    "UN list version": "유엔 목록 버전",
    "List sync": "목록 동기화",
    "Data sources": "데이터 출처",
    "Database": "데이터베이스",
    "Name search": "이름 검색",
    "Knowledge files": "지식 파일",
    "Established": "설립",
    "Status": "현황",
    "On the list now": "현재 등재",
    "On the latest imported list": "최근 가져온 목록 기준 등재",
    "Consolidated List": "통합 제재 목록",
    "Panel of Experts": "전문가 패널",
    "Chair": "의장",
    "Vice-chairs": "부의장",
    "Notes": "참고",
    "When": "일시",
    "Who": "발언자",
    "Context": "배경",
    "Responds to": "응답 대상",
    "Bears on": "관련 대상",
    "Per year": "연도별",
    "Invite to a server": "서버에 초대",
    "Add to my apps": "내 앱에 추가",
    "UN's published list": "유엔 공개 목록",
    "UN sanctions list": "유엔 제재 목록",
    "Sanctions regimes on the UN list": "유엔 목록의 제재체제",
    "Designations per year": "연도별 지정 건수",
    "Changes to the UN sanctions list": "유엔 제재 목록 변경 내역",
    "sanctionsbot — commands": "sanctionsbot — 명령어",
    "Every answer also works in the terminal: `sanctionsbot ask <command> [option:value …]`.": (
        "모든 답은 터미널에서도 받을 수 있습니다. 명령어와 옵션은 영어 이름으로 씁니다: "
        "`sanctionsbot ask <command> [option:value …]`."
    ),
    "That did not work": "처리하지 못했습니다",
    "(continued)": "(계속)",
    "Previous": "이전",
    "Next": "다음",
    "**Possibly out of date:**": "**최신이 아닐 수 있음:**",
    "**The last list sync failed**": "**마지막 목록 동기화 실패**",
}
