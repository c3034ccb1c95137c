"""Tiny parallel SQuAD files in the development data layout, for loader and runner tests."""

from __future__ import annotations

import json
from pathlib import Path

ARABIC_PARAGRAPHS = [
    (
        "فاز فريق دنفر برونكو بالمباراة النهائية عام 2016 في ولاية كاليفورنيا.",
        "q1",
        "من فاز بالمباراة؟",
        "دنفر برونكو",
    ),
    (
        "تقع مدينة القاهرة على ضفاف نهر النيل وهي عاصمة مصر.",
        "q2",
        "على أي نهر تقع القاهرة؟",
        "نهر النيل",
    ),
    (
        "اكتشف العلماء نوعا جديدا من الضفادع في غابات الأمازون المطيرة.",
        "q3",
        "أين اكتشف الضفدع؟",
        "غابات الأمازون",
    ),
    (
        "بلغ عدد سكان المدينة مليوني نسمة في آخر إحصاء رسمي.",
        "q4",
        "كم عدد سكان المدينة؟",
        "مليوني نسمة",
    ),
    (
        "افتتح المتحف الوطني أبوابه للزوار بعد ترميم استمر خمس سنوات.",
        "q5",
        "كم استمر الترميم؟",
        "خمس سنوات",
    ),
]
ENGLISH_QUESTIONS = {
    "q1": "Who won the final?",
    "q2": "On which river is Cairo?",
    "q3": "Where was the frog found?",
    "q4": "How many people live in the city?",
    "q5": "How long did the restoration take?",
}


def _squad(paragraphs: list[tuple[str, str, str, str]], english: bool) -> dict[str, object]:
    entries = []
    for number, (context, qid, question, answer) in enumerate(paragraphs):
        text = ENGLISH_QUESTIONS[qid] if english else question
        qas = [
            {
                "id": qid,
                "question": text,
                "answers": [{"text": answer, "answer_start": context.find(answer)}],
            }
        ]
        entries.append(
            {"title": f"Page_{number}", "paragraphs": [{"context": context, "qas": qas}]}
        )
    return {"version": "1.1", "data": entries}


def write_development_data(root: Path) -> Path:
    (root / "xquad-dev").mkdir(parents=True)
    (root / "arcd").mkdir()
    (root / "ntrex").mkdir()
    (root / "xquad-dev" / "xquad.ar.json").write_text(
        json.dumps(_squad(ARABIC_PARAGRAPHS, False)), "utf-8"
    )
    # the English file lacks q5 and has an extra question with no Arabic counterpart
    english = _squad(ARABIC_PARAGRAPHS[:4], True)
    english["data"][0]["paragraphs"][0]["qas"].append(  # type: ignore[index]
        {"id": "only-en", "question": "Unmatched?", "answers": [{"text": "x", "answer_start": 0}]}
    )
    (root / "xquad-dev" / "xquad.en.json").write_text(json.dumps(english), "utf-8")
    (root / "arcd" / "arcd-train.json").write_text(
        json.dumps(_squad(ARABIC_PARAGRAPHS, False)), "utf-8"
    )
    ntrex = {
        "id": "ntrex-1",
        "title": "خبر",
        "text": "انخفضت أسعار الوقود في الأسواق المحلية هذا الأسبوع.",
    }
    (root / "ntrex" / "ntrex-dev.jsonl").write_text(
        json.dumps(ntrex, ensure_ascii=False) + "\n", "utf-8"
    )
    return root
