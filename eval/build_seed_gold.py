"""Write ``eval/gold/seed.jsonl``: the gold questions over the seed article, with offsets.

Questions were written by reading the article. Each answerable one names a short anchor
(unique in the article); its evidence is the whole sentence (or sentences) holding that
anchor, found by the project's sentence splitter, so offsets are computed, never typed.
Each unanswerable one names words whose absence from the article makes it unanswerable;
the script checks they are absent.

Run: ``python -m eval.build_seed_gold`` from the repository root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.seeds import read_seeds
from index.text.normalize import normalize
from index.text.sentences import split_sentences

GOLD_PATH = Path(__file__).parent / "gold" / "seed.jsonl"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


@dataclass(frozen=True)
class Answerable:
    question: str
    lang: str
    anchors: tuple[str, ...]
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Unanswerable:
    question: str
    lang: str
    # words the question hinges on; the article must contain none of them
    absent: tuple[str, ...]


ANSWERABLE = (
    Answerable(
        "On which day of the week did Trump call Putin?",
        "en",
        ("دونالد ترامب -الاثنين-",),
        ("الاثنين",),
    ),
    Answerable(
        "Which call between the two leaders this year was this one?",
        "en",
        ("تعتبر هذه المكالمة الثالثة",),
        ("الثالثة",),
    ),
    Answerable(
        "Since when has the conflict between Russia and Ukraine been going on?",
        "en",
        ("منذ فبراير/شباط 2022",),
        ("فبراير/شباط 2022",),
    ),
    Answerable(
        "Which news site reported that Trump spoke with Zelensky for a few minutes?",
        "en",
        ("ونقل موقع أكسيوس",),
        ("أكسيوس",),
    ),
    Answerable(
        "Which newspaper said Trump asked Zelensky what he should discuss with Putin?",
        "en",
        ("كما ذكرت صحيفة وول ستريت جورنال",),
        ("وول ستريت جورنال",),
    ),
    Answerable(
        "How long a ceasefire did Zelensky want to discuss?",
        "en",
        ("لمدة 30 يومًا",),
        ("30 يومًا",),
    ),
    Answerable(
        "How many people from each side would the new prisoner exchange include?",
        "en",
        ("تشمل 9 أشخاص من كل جانب",),
        ("9 أشخاص",),
    ),
    Answerable(
        "Who is Putin's aide for foreign policy?",
        "en",
        ("قال يوري أوشاكوف، مساعد بوتين للسياسة الخارجية",),
        ("يوري أوشاكوف",),
    ),
    Answerable(
        "On what occasion did Putin congratulate Trump?",
        "en",
        ("بمناسبة ولادة حفيده الجديد",),
        ("ولادة حفيده",),
    ),
    Answerable(
        "On which platform did Trump write about the negotiations after the call?",
        "en",
        ("عبر منصته تروث سوشيال",),
        ("تروث سوشيال",),
    ),
    Answerable(
        "How long did Trump talk with Putin?",
        "en",
        ("تحدث مع بوتين لمدة ساعتين ونصف",),
        ("ساعتين ونصف",),
    ),
    Answerable(
        "How many young men are killed every week, according to Trump?",
        "en",
        ("يُقتل 5 آلاف شاب أسبوعيًا",),
        ("5 آلاف شاب",),
    ),
    Answerable(
        "Which pope showed interest in hosting the ceasefire talks?",
        "en",
        ("بعد أن أبدى البابا ليو الـ14 اهتمامه",),
        ("البابا ليو الـ14",),
    ),
    Answerable(
        "Near which resort did Putin speak to reporters after the call?",
        "en",
        ("قرب منتجع سوتشي",),
        ("سوتشي",),
    ),
    Answerable(
        "Who is the Kremlin spokesman quoted by the Russian news agency?",
        "en",
        ("المتحدث باسم الكرملين ديمتري بيسكوف",),
        ("ديمتري بيسكوف",),
    ),
    Answerable(
        "Which countries did Zelensky hope would host the meeting?",
        "en",
        ("تستضيفه تركيا أو الفاتيكان أو سويسرا",),
        ("تركيا", "الفاتيكان", "سويسرا"),
    ),
    Answerable(
        "Which sectors did Zelensky ask Washington to sanction?",
        "en",
        ("على قطاعي البنوك والطاقة",),
        ("البنوك", "الطاقة"),
    ),
    Answerable(
        "On which platform did Chancellor Merz announce more pressure on Russia?",
        "en",
        ("في منشور على منصة إكس",),
        ("إكس",),
    ),
    Answerable(
        "What will the new sanctions announced by London and Brussels target?",
        "en",
        ("ستكون مركّزة على “أسطول الظل”",),
        ("أسطول الظل",),
    ),
    Answerable(
        "Who is the German foreign minister?",
        "en",
        ("وزير الخارجية الألماني يوهان فاديفول",),
        ("يوهان فاديفول",),
    ),
    Answerable(
        "Which German minister said Putin is trying to buy time?",
        "en",
        ("وزير الدفاع الألماني بوريس بيستوريوس",),
        ("بوريس بيستوريوس",),
    ),
    Answerable(
        "Who is the secretary general of NATO?",
        "en",
        ("(ناتو) مارك روته",),
        ("مارك روته",),
    ),
    Answerable(
        "Who spoke for the Chinese foreign ministry?",
        "en",
        ("باسم وزارة الخارجية الصينية ماو نينغ",),
        ("ماو نينغ",),
    ),
    Answerable(
        "In which city were the latest talks where Moscow made its demands?",
        "en",
        ("خلال المحادثات الأخيرة في إسطنبول",),
        ("إسطنبول",),
    ),
    Answerable(
        "من هو المستشار الألماني الذي تحدث عن زيادة الضغط على روسيا؟",
        "ar",
        ("قال المستشار الألماني فريدريش ميرتس",),
        ("فريدريش ميرتس",),
    ),
    Answerable(
        "من هي رئيسة المفوضية الأوروبية التي أطلعها ترامب على نتائج المكالمة؟",
        "ar",
        ("ورئيسة المفوضية الأوروبية أورسولا فون دير لاين",),
        ("أورسولا فون دير لاين",),
    ),
    Answerable(
        "من هو القائد الفنلندي الذي أطلعه ترامب على تطورات المكالمة؟",
        "ar",
        ("والقائد الفنلندي ألكسندر ستاب",),
        ("ألكسندر ستاب",),
    ),
    Answerable(
        "من هي رئيسة الوزراء الإيطالية؟",
        "ar",
        ("أعربت رئيسة الوزراء الإيطالية جورجيا ميلوني",),
        ("جورجيا ميلوني",),
    ),
    Answerable(
        "كم من الوقت تحدث ترامب مع زيلينسكي قبل اتصاله ببوتين؟",
        "ar",
        ("أن ترامب تحدث مع زيلينسكي لبضع دقائق", "نوّه أنه تحدث مع ترامب لبضع دقائق"),
        ("بضع دقائق",),
    ),
    Answerable(
        "منذ متى تتعثر جهود حل ملف الحرب الروسية الأوكرانية؟",
        "ar",
        ("الذي يتعثر منذ أكثر من 3 سنوات",),
        ("أكثر من 3 سنوات",),
    ),
    Answerable(
        "كيف وصف ترامب زيلينسكي؟",
        "ar",
        ("وزيلينسكي رجل قوي وصعب المراس",),
        ("رجل قوي وصعب المراس",),
    ),
    Answerable(
        "كيف وصف الكرملين آفاق العلاقات الروسية الأمريكية التي ناقشها القائدان؟",
        "ar",
        ("آفاق “مبهرة”",),
        ("مبهرة",),
    ),
    Answerable(
        "هل اتفق ترامب وبوتين على مكان اللقاء الشخصي بينهما؟",
        "ar",
        ("لم يتم الاتفاق على مكانه بعد",),
        ("لم يتم الاتفاق على مكانه",),
    ),
    Answerable(
        "ما موقف ترامب من مشروع قانون العقوبات الجديدة في مجلس الشيوخ؟",
        "ar",
        ("ولكنه ليس مؤيدًا لها",),
        ("ليس مؤيدًا لها",),
    ),
    Answerable(
        "كيف وصف بوتين محادثته مع ترامب؟",
        "ar",
        ("بأنها ذات معنى وصريحة ومفيدة للغاية",),
        ("ذات معنى وصريحة ومفيدة للغاية",),
    ),
    Answerable(
        "في أي أجواء جرى الاتصال بين بوتين وترامب بحسب أوشاكوف؟",
        "ar",
        ("جرى في أجواء “ودية وبناءة”",),
        ("ودية وبناءة",),
    ),
    Answerable(
        "ما الدول التي شارك قادتها في المحادثة الهاتفية الأخرى مع زيلينسكي بعد اتصال بوتين؟",
        "ar",
        ("بمشاركة قادة فرنسا وفنلندا وألمانيا وإيطاليا",),
        ("فرنسا", "فنلندا", "ألمانيا", "إيطاليا"),
    ),
    Answerable(
        "على أي مبيعات شدد وزير الدفاع الألماني على فرض العقوبات؟",
        "ar",
        ("لا سيما على مبيعات الطاقة",),
        ("مبيعات الطاقة",),
    ),
    Answerable(
        "ما الشيء الواحد الذي تتوقعه ألمانيا من روسيا بحسب وزير خارجيتها؟",
        "ar",
        ("وقف إطلاق النار الفوري دون شروط مسبقة",),
        ("وقف إطلاق النار الفوري",),
    ),
    Answerable(
        "من هي المتحدثة باسم الخارجية الروسية؟",
        "ar",
        ("باسم الخارجية الروسية ماريا زاخاروفا",),
        ("ماريا زاخاروفا",),
    ),
    Answerable(
        "في ملعب من أصبحت الكرة بحسب الخارجية الروسية؟",
        "ar",
        ("الكرة حاليًا في ملعب كييف",),
        ("ملعب كييف",),
    ),
    Answerable(
        "كيف وصف الأمين العام لحلف الناتو مشاركة الإدارة الأمريكية في جهود السلام؟",
        "ar",
        ("“أمر إيجابي للغاية”",),
        ("أمر إيجابي للغاية",),
    ),
    Answerable(
        "ماذا طلبت روسيا خلال المحادثات الأخيرة في إسطنبول؟",
        "ar",
        ("طلب روسيا الاحتفاظ بمساحات شاسعة من الأراضي",),
        ("الاحتفاظ بمساحات شاسعة من الأراضي",),
    ),
    Answerable(
        "ما الذي ستشمله النقاشات حول مذكرة التفاهم؟",
        "ar",
        ("ستشمل مبادئ التسوية والجدول الزمني",),
        ("مبادئ التسوية",),
    ),
    Answerable(
        "ماذا قال بيسكوف عن المواعيد النهائية لوقف إطلاق النار؟",
        "ar",
        ("لا توجد مواعيد نهائية",),
        ("لا توجد مواعيد نهائية",),
    ),
    Answerable(
        "على ماذا وافقت الولايات المتحدة مع الشركاء الأوروبيين بحسب الحكومة الألمانية؟",
        "ar",
        ("وافقت على “التنسيق بشكل وثيق”",),
        ("التنسيق بشكل وثيق",),
    ),
    Answerable(
        "ماذا تريد روسيا أن تقيم مع الولايات المتحدة بعد انتهاء الحرب بحسب ترامب؟",
        "ar",
        ("ترغب روسيا في إقامة تجارة واسعة النطاق",),
        ("تجارة واسعة النطاق",),
    ),
    Answerable(
        "لماذا لم يفرض ترامب عقوبات جديدة على موسكو؟",
        "ar",
        ("لأنني أعتقد أن هناك فرصة لإنجاز شيء ما",),
        ("فرصة لإنجاز شيء ما",),
    ),
    Answerable(
        "ماذا قال ترامب إن روسيا وأوكرانيا ستبدآن فورًا؟",
        "ar",
        ("ستبدآن فورًا مفاوضات بشأن وقف إطلاق النار",),
        ("مفاوضات بشأن وقف إطلاق النار",),
    ),
    Answerable(
        "ماذا تناول ترامب وبوتين بشأن السجناء؟",
        "ar",
        ("صفقة جديدة لتبادل السجناء",),
        ("صفقة جديدة لتبادل السجناء",),
    ),
)

UNANSWERABLE = (
    Unanswerable("How many tanks did Germany send to Ukraine?", "en", ("دباب", "tank")),
    Unanswerable(
        "How much military aid has the US Congress approved for Ukraine?",
        "en",
        ("الكونغرس", "مساعدات", "دولار"),
    ),
    Unanswerable("Who is Ukraine's foreign minister?", "en", ("وزير الخارجية الأوكراني",)),
    Unanswerable(
        "How many Ukrainian soldiers were captured in the Kursk region?", "en", ("كورسك", "أسرى")
    ),
    Unanswerable(
        "What did Turkish President Erdogan say about the Trump-Putin call?", "en", ("أردوغان",)
    ),
    Unanswerable(
        "كم عدد الطائرات المسيرة التي أطلقتها روسيا على كييف الأسبوع الماضي؟",
        "ar",
        ("مسير", "طائرات"),
    ),
    Unanswerable("كم بلغ سعر برميل النفط بعد إعلان العقوبات الجديدة؟", "ar", ("برميل", "سعر")),
    Unanswerable(
        "من هو رئيس الوزراء البريطاني الذي علق على المكالمة؟",
        "ar",
        ("رئيس الوزراء البريطاني", "ستارمر"),
    ),
    Unanswerable(
        "كم تبلغ قيمة المساعدات العسكرية الأوروبية لأوكرانيا هذا العام؟", "ar", ("مساعدات", "يورو")
    ),
    Unanswerable("ما موقف الهند من المكالمة بين ترامب وبوتين؟", "ar", ("الهند",)),
)


def evidence_span(text: str, anchor: str) -> tuple[int, int]:
    """The sentence(s) of ``text`` that hold the one occurrence of ``anchor``."""
    first = text.find(anchor)
    if first < 0 or text.find(anchor, first + 1) >= 0:
        raise ValueError(f"anchor {anchor!r} must occur exactly once in the article")
    last = first + len(anchor)
    covering = [s for s in split_sentences(text) if s.start < last and first < s.end]
    return covering[0].start, covering[-1].end


def gold_records(text: str, doc_id: str) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    normalized_article = normalize(text)
    for number, item in enumerate(ANSWERABLE, start=1):
        spans = [evidence_span(text, anchor) for anchor in item.anchors]
        for answer in item.answers:
            if not all(normalize(answer) in normalize(text[s:e]) for s, e in spans):
                raise ValueError(
                    f"answer {answer!r} is not inside the evidence of {item.question!r}"
                )
        records.append(
            {
                "id": f"seed-{number:02d}-{item.lang}",
                "question": item.question,
                "lang": item.lang,
                "answerable": True,
                "doc_id": doc_id,
                "evidence": [list(span) for span in spans],
                "answers": list(item.answers),
            }
        )
    for number, unanswerable in enumerate(UNANSWERABLE, start=len(ANSWERABLE) + 1):
        present = [w for w in unanswerable.absent if normalize(w) in normalized_article]
        if present:
            raise ValueError(f"{unanswerable.question!r}: the article mentions {present}")
        records.append(
            {
                "id": f"seed-{number:02d}-{unanswerable.lang}",
                "question": unanswerable.question,
                "lang": unanswerable.lang,
                "answerable": False,
                "doc_id": doc_id,
                "evidence": [],
                "answers": [],
            }
        )
    return records


def render(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def main() -> None:
    seed = read_seeds(SEEDS_DIR)[0]
    GOLD_PATH.write_text(render(gold_records(seed.text, seed.id)), encoding="utf-8")
    print(f"wrote {GOLD_PATH}")


if __name__ == "__main__":
    main()
