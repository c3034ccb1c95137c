"""Small synthetic Arabic articles for storage tests: deterministic, with filterable sources."""

from __future__ import annotations

import random

from index.article import Article

_WORDS = [
    "اعلنت",
    "الحكومة",
    "اليوم",
    "عن",
    "خطة",
    "جديدة",
    "لدعم",
    "الاقتصاد",
    "الوطني",
    "وتحسين",
    "الخدمات",
    "العامة",
    "في",
    "المدن",
    "وقال",
    "الوزير",
    "ان",
    "المفاوضات",
    "مستمرة",
    "مع",
    "الشركاء",
    "حول",
    "وقف",
    "اطلاق",
    "النار",
    "والمساعدات",
    "الانسانية",
    "وارتفعت",
    "اسعار",
    "النفط",
    "في",
    "الاسواق",
    "العالمية",
    "بعد",
    "قرار",
    "البنك",
    "المركزي",
    "تثبيت",
    "الفائدة",
]


def synthetic_articles(count: int, start: int = 0, sources: int = 10) -> list[Article]:
    """``count`` articles of about ten sentences; article i has source ``s{i % sources}``."""
    articles = []
    for number in range(start, start + count):
        rng = random.Random(number)
        sentences = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 14))) + f" رقم{number}."
            for _ in range(10)
        ]
        articles.append(
            Article.create(
                id=f"synthetic-{number}",
                title=f"خبر {number}",
                text=" ".join(sentences),
                lang="ar",
                source=f"s{number % sources}",
                published=f"2025-01-{1 + number % 28:02d}",
            )
        )
    return articles
