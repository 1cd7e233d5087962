"""``tape.postorder``, the walk every proof's step order comes from, visits exactly as the
general :func:`walk_postorder` does (the trace, the domain list and the first shape error
all follow that order)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from dcp.syntax.ast import walk_postorder
from dcp.tape import postorder


@st.composite
def dags(draw):
    """Children lists over ids 0..n-1, each child smaller than its parent, with repeats
    and shared children (what hash-consing makes)."""
    size = draw(st.integers(1, 30))
    children = [()]
    for node in range(1, size):
        children.append(tuple(draw(st.lists(st.integers(0, node - 1), max_size=4))))
    return children


@settings(max_examples=300, deadline=None)
@given(dags())
def test_postorder_visits_as_the_general_walk(children):
    root = len(children) - 1
    expected = walk_postorder(root, children.__getitem__, int)
    assert postorder(root, children) == expected


def test_postorder_is_depth_first_not_by_id():
    # 4 = f(2, 3), 2 = g(1), 3 = h(0): the left subtree first, whatever its ids.
    children = [(), (), (1,), (0,), (2, 3)]
    assert postorder(4, children) == [1, 2, 0, 3, 4]


def test_postorder_enters_a_shared_child_where_first_met():
    # 3 = f(2, 0) where 2 = g(0, 1): 0 is entered under 2, not as 3's second child.
    children = [(), (), (1, 0), (2, 0)]
    assert postorder(3, children) == [1, 0, 2, 3]
