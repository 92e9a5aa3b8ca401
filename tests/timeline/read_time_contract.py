"""The one contract suite for the read-time source lists, run against every backend.

What the fan-out (push, remove, listed) and the home reader (registered, pages, and the
timeline store's page_with_sources) rely on. A backend's test module subclasses
ReadTimeSourcesContract and implements make_pair(), a timeline store and read-time
sources of the same backend, both empty.
"""

from __future__ import annotations

from feed.domain import Source
from feed.timeline.sources import ReadTimeSources
from feed.timeline.store import TimelineStore
from tests.timeline.contract import ABOVE_2_53, fresh, materialize

STAR, OTHER, GROUP = Source(author_id=7), Source(author_id=9), Source(group_id=7)


class ReadTimeSourcesContract:
    def make_pair(self, max_entries: int) -> tuple[TimelineStore, ReadTimeSources]:
        raise NotImplementedError

    def sources(self, max_entries: int = 10) -> ReadTimeSources:
        return self.make_pair(max_entries)[1]

    def test_pushed_posts_page_back_newest_first_below_the_cursor(self):
        read_time = self.sources()
        posts = fresh(5)
        assert read_time.push([(STAR, p) for p in reversed(posts)]) == 5
        [first] = read_time.pages([STAR], None, 3)
        assert first.ids == posts[::-1][:3] and first.more
        [second] = read_time.pages([STAR], first.ids[-1], 3)
        assert second.ids == posts[::-1][3:] and not second.more

    def test_a_post_pushed_twice_is_listed_once(self):
        read_time = self.sources()
        post = fresh(1)[0]
        assert read_time.push([(STAR, post)]) == 1
        assert read_time.push([(STAR, post)]) == 0
        assert read_time.pages([STAR], None, 10)[0].ids == [post]

    def test_pages_of_several_sources_come_in_the_order_asked(self):
        read_time = self.sources()
        star_posts, group_posts = fresh(2), fresh(2)
        read_time.push([(STAR, p) for p in star_posts] + [(GROUP, p) for p in group_posts])
        pages = read_time.pages([GROUP, STAR, OTHER], None, 10)
        assert [p.ids for p in pages] == [group_posts[::-1], star_posts[::-1], []]

    def test_an_author_and_a_group_with_the_same_id_are_two_sources(self):
        read_time = self.sources()
        mine, theirs = fresh(2)
        read_time.push([(STAR, mine), (GROUP, theirs)])
        assert read_time.registered() == {STAR, GROUP}
        assert [p.ids for p in read_time.pages([STAR, GROUP], None, 10)] == [[mine], [theirs]]

    def test_readers_see_at_most_max_entries_of_a_list(self):
        read_time = self.sources(max_entries=3)
        posts = fresh(6)
        read_time.push([(STAR, p) for p in posts])
        [page] = read_time.pages([STAR], None, 10)
        assert page.ids == posts[::-1][:3] and not page.more

    def test_listed_names_only_posts_already_in_their_sources_list(self):
        read_time = self.sources()
        listed, unlisted, elsewhere = fresh(3)
        read_time.push([(STAR, listed)])
        asked = [(STAR, listed), (STAR, unlisted), (OTHER, elsewhere)]
        assert read_time.listed(asked) == {listed}
        assert read_time.listed([(OTHER, listed)]) == set()  # in STAR's list, not OTHER's

    def test_removed_posts_leave_their_list_and_the_source_stays_registered(self):
        read_time = self.sources()
        kept, gone = fresh(2)
        read_time.push([(STAR, kept), (STAR, gone)])
        read_time.remove([(STAR, gone), (OTHER, kept)])  # OTHER never had it: nothing happens
        assert read_time.pages([STAR], None, 10)[0].ids == [kept]
        assert read_time.registered() == {STAR}

    def test_organizations_keep_their_sources_apart(self):
        read_time = self.sources()
        post = fresh(1)[0]
        read_time.push([(STAR, post)], org_id=4)
        assert read_time.registered(4) == {STAR} and read_time.registered(0) == set()
        assert read_time.pages([STAR], None, 10, org_id=0)[0].ids == []
        assert read_time.listed([(STAR, post)], org_id=0) == set()

    def test_ids_beyond_two_to_the_53_survive_exactly(self):
        read_time = self.sources()
        read_time.push([(STAR, p) for p in ABOVE_2_53])
        assert read_time.pages([STAR], None, 10)[0].ids == sorted(ABOVE_2_53, reverse=True)
        assert read_time.listed([(STAR, 2**63 - 1)]) == {2**63 - 1}

    def test_a_home_page_comes_with_the_organizations_current_sources(self):
        timelines, read_time = self.make_pair(10)
        materialize(timelines, 1, fresh(2))
        page, sources = timelines.page_with_sources(read_time, 1, None, 5)
        assert len(page.ids) == 2 and sources == frozenset()
        read_time.push([(STAR, fresh(1)[0]), (GROUP, fresh(1)[0])])
        assert timelines.page_with_sources(read_time, 1, None, 5)[1] == {STAR, GROUP}
        assert timelines.page_with_sources(read_time, 1, None, 5, org_id=3)[1] == frozenset()

    def test_admit_registers_sources_while_the_registry_has_room_and_always_keeps_those_in_it(self):
        read_time = self.sources()
        read_time.max_sources = 2
        read_time.push([(STAR, fresh(1)[0])])
        assert read_time.admit([GROUP, OTHER]) == {GROUP}  # one place left: sources in order, GROUP first
        assert read_time.admit([STAR, OTHER]) == {STAR}
        assert read_time.registered() == {STAR, GROUP}
        read_time.push([(OTHER, fresh(1)[0])])  # pushing registers whatever the bound: the post must be merged
        assert read_time.registered() == {STAR, GROUP, OTHER}

    def test_a_forgotten_source_leaves_the_registry_and_its_posts_are_no_longer_listed(self):
        timelines, read_time = self.make_pair(10)
        post = fresh(1)[0]
        read_time.push([(STAR, post), (GROUP, fresh(1)[0])])
        materialize(timelines, 1)
        assert timelines.page_with_sources(read_time, 1, None, 5)[1] == {STAR, GROUP}
        assert read_time.forget([STAR, OTHER]) == 1
        assert read_time.registered() == {GROUP}
        assert timelines.page_with_sources(read_time, 1, None, 5)[1] == {GROUP}  # the copy follows the change
        assert read_time.listed([(STAR, post)]) == set()
        assert read_time.pages([STAR], None, 10)[0].ids == [post]  # the list stays until retired

    def test_a_list_is_retired_only_while_it_is_as_seen(self):
        read_time = self.sources()
        older, newer = fresh(2)
        read_time.push([(STAR, older)])
        seen = read_time.snapshot(STAR)
        assert seen.ids == [older]
        read_time.push([(STAR, newer)])
        assert not read_time.retire(STAR, seen)  # a post came since: kept
        assert read_time.pages([STAR], None, 10)[0].ids == [newer, older]
        assert read_time.retire(STAR, read_time.snapshot(STAR))
        assert read_time.pages([STAR], None, 10)[0].ids == []

    def test_newest_names_each_lists_newest_post_and_zero_for_none(self):
        read_time = self.sources()
        posts = fresh(3)
        read_time.push([(STAR, p) for p in posts])
        read_time.push([(GROUP, posts[0])])
        read_time.remove([(GROUP, posts[0])])
        assert read_time.newest([STAR, GROUP, OTHER]) == {STAR: posts[-1], GROUP: 0, OTHER: 0}
