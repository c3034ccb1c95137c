from eval.train_ranker import FOLDS, article_group, fold_of_group


def test_paragraphs_of_one_wikipedia_article_share_a_group_across_languages() -> None:
    assert article_group("xquad-ar-3-4") == article_group("xquad-ar-3-0") == "xquad-3"
    assert article_group("arcd-12-0") == "arcd-12"
    assert article_group("xquad-ar-3-4") != article_group("xquad-ar-4-4")


def test_a_news_article_is_a_group_of_its_own() -> None:
    assert article_group("000_bf09634b69ac1340") == "000_bf09634b69ac1340"
    assert article_group("ntrex-bbc.381705") == "ntrex-bbc.381705"
    assert 0 <= fold_of_group(article_group("000_bf09634b69ac1340")) < FOLDS
