from search.chunking import split_pages


def test_passages_overlap_and_remember_their_pages() -> None:
    page_one = " ".join(f"a{i}" for i in range(150))
    page_two = " ".join(f"b{i}" for i in range(150))

    passages = split_pages([page_one, page_two], size=100, overlap=20)

    assert [p.word_count for p in passages] == [100, 100, 100, 60]
    assert (passages[0].page_start, passages[0].page_end) == (1, 1)
    assert (passages[1].page_start, passages[1].page_end) == (1, 2)
    assert passages[3].page_start == 2
    # consecutive passages share exactly the overlap
    assert passages[0].text.split()[-20:] == passages[1].text.split()[:20]
    assert [p.number for p in passages] == [1, 2, 3, 4]


def test_identical_text_gives_identical_hashes_and_empty_pages_give_nothing() -> None:
    first = split_pages(["the same words here"])
    second = split_pages(["", "the same words here"])

    assert first[0].content_hash == second[0].content_hash
    assert second[0].page_start == 2
    assert split_pages(["", "  "]) == []


def test_a_short_tail_joins_the_previous_passage_and_no_word_is_lost() -> None:
    words = [f"w{i}" for i in range(105)]

    passages = split_pages([" ".join(words)], size=100, overlap=20)

    assert len(passages) == 1
    assert passages[0].text.split() == words
