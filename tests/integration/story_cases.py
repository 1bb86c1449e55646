"""Reports of three events, each by two or three outlets in their own words, as cleaned
records: what the story tests send through the real enricher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.records import CleanedArticle, Extractor, Paragraph, article_id_for, content_hash

T0 = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)

# (event, source, hours after T0, title, paragraphs)
REPORTS = [
    (
        "iraq",
        "wire",
        0,
        "NATO agrees to expand its training mission in Iraq",
        [
            "NATO defence ministers agreed in Brussels on Tuesday to expand the alliance's "
            "training mission in Iraq, taking over some tasks from the US-led coalition.",
            "Jens Stoltenberg said the mission would stay only with the consent of the Iraqi "
            "government in Baghdad, and that commanders would settle the details.",
        ],
    ),
    (
        "iraq",
        "gazette",
        3,
        "Allies to send more instructors to Baghdad, Stoltenberg says",
        [
            "More NATO instructors will go to Iraq after ministers met at the alliance "
            "headquarters in Brussels, Jens Stoltenberg told reporters.",
            "The Iraqi parliament had voted for foreign troops to leave; the secretary-general "
            "said Baghdad had asked the alliance to stay and train its forces.",
        ],
    ),
    (
        "iraq",
        "courier",
        9,
        "Stoltenberg: the Iraq mission grows, with Baghdad's consent",
        [
            "The alliance will enlarge its presence in Iraq, Jens Stoltenberg announced in "
            "Brussels, where NATO ministers ended two days of talks.",
            "Officials in Baghdad welcomed the decision.",
        ],
    ),
    (
        "tram",
        "gazette",
        1,
        "Leeds approves a second tram line to the airport",
        [
            "Leeds City Council approved a second tram line to Leeds Bradford Airport after a "
            "debate that ran past midnight in Leeds.",
            "Councillors voted 52 to 37 in favour; West Yorkshire will pay a third of the cost.",
        ],
    ),
    (
        "tram",
        "courier",
        5,
        "Councillors back Leeds airport tram after late-night vote",
        [
            "A tram to Leeds Bradford Airport won the backing of Leeds City Council, which "
            "voted 52 to 37 for the line.",
            "Work in Leeds is due to begin in 2028, with West Yorkshire paying part of the bill.",
        ],
    ),
    (
        "chips",
        "wire",
        2,
        "Samsung to build a chip plant in Texas",
        [
            "Samsung Electronics will build a semiconductor plant near Austin, Texas, the South "
            "Korean company said on Tuesday, its largest investment in the United States.",
            "Greg Abbott, the governor of Texas, welcomed the plant and the 2,000 jobs promised.",
        ],
    ),
    (
        "chips",
        "courier",
        6,
        "Texas wins Samsung's new semiconductor factory",
        [
            "Samsung Electronics picked Texas for its new factory, near Austin, Greg Abbott "
            "announced, after the state offered tax breaks.",
            "The South Korean group said the plant would open in 2029.",
        ],
    ),
]


def report_records() -> list[tuple[str, CleanedArticle]]:
    """(event, cleaned record) of every report, ids made of `run` and the source."""
    return [
        (event, record(source, hours, title, body)) for event, source, hours, title, body in REPORTS
    ]


def record(
    source: str, hours: float, title: str, paragraphs: list[str], run: str = ""
) -> CleanedArticle:
    url = f"https://{source}.example/{run}{title.lower().replace(' ', '-')}"
    text = "\n\n".join(paragraphs)
    return CleanedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id=source,
        title=title,
        published_at=T0 + timedelta(hours=hours),
        fetched_at=T0 + timedelta(hours=hours, minutes=5),
        language="en",
        text=text,
        paragraphs=[Paragraph(text=p) for p in paragraphs],
        word_count=len(text.split()),
        content_hash=content_hash(text),
        extractor=Extractor(name="test", version="1"),
    )


# Other outlets' reports of two sample-site stories (the Leeds tram vote, the Portuguese
# floods), for the story examples of docs/sql.md: (source, published, title, paragraphs).
FOLLOW_UPS = [
    (
        "sample-courier",
        datetime(2026, 10, 1, 11, 45, tzinfo=UTC),
        "Leeds tram extension to Headingley and the airport wins council vote",
        [
            "Leeds City Council voted 52 to 37 late on Tuesday night to extend the tram line "
            "through Headingley to Leeds Bradford Airport, at a cost of £420 million.",
            "Margaret Okonkwo, the council leader, said the Aire Valley Transport Authority "
            "would start work in 2028. Daniel Hale, for the opposition, called the plan a "
            "blank cheque.",
        ],
    ),
    (
        "sample-gazette",
        datetime(2026, 10, 2, 9, 10, tzinfo=UTC),
        "Business leaders welcome Leeds tram decision, but cost doubts linger",
        [
            "The Leeds Business Forum welcomed the council's approval of the tram extension to "
            "Leeds Bradford Airport, while Daniel Hale repeated his warning about costs.",
            "The Aire Valley Transport Authority said the Northern Infrastructure Commission "
            "would publish its review in November. Margaret Okonkwo defended the levy.",
        ],
    ),
    (
        "sample-gazette",
        datetime(2026, 10, 11, 15, 30, tzinfo=UTC),
        "Portugal asks EU for help as Douro floods keep thousands from home",
        [
            "Rui Almeida, Portugal's interior minister, said in Braga that the government would "
            "apply to the European Union Solidarity Fund after floods along the Douro and Cávado.",
            "Trains between Porto and Braga were suspended after an embankment collapsed near "
            "Famalicão, and the Ribeira district of Porto remained under water.",
        ],
    ),
]


def follow_up_records(run: str = "") -> list[CleanedArticle]:
    records = []
    for source, published, title, paragraphs in FOLLOW_UPS:
        made = record(source, 0, title, paragraphs, run=run)
        records.append(made.model_copy(update={"published_at": published, "fetched_at": published}))
    return records
