"""`Model`: an immutable collection of IR nodes over a private dependency graph.

Passes never touch the graph directly; they ask the model (`scope`, `find`, `dependencies`,
`topological`) and build a new model with `replace`, `add` and `remove`.  The networkx graph is
derived from the nodes' `reads` and `writes` on first use, and networkx is imported then: importing
it takes a fifth of a second, which a model without subexpressions never needs to spend.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, TypeVar

from ._nodes import Declaration, Node, Population, Subexpression

if TYPE_CHECKING:
    import networkx as nx

N = TypeVar("N", bound=Node)


class Model:
    __slots__ = ("name", "nodes", "_index", "_graph")

    def __init__(self, name: str, nodes: Iterable[Node]):
        self.name = name
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self._index: dict[str, Node] = {}
        for node in self.nodes:
            self._index.setdefault(node.id, node)
        self._graph: nx.DiGraph | None = None

    def __eq__(self, other) -> bool:
        return isinstance(other, Model) and (self.name, self.nodes) == (other.name, other.nodes)

    def __hash__(self) -> int:
        return hash((self.name, self.nodes))

    def __repr__(self) -> str:
        return f"Model({self.name!r}, {len(self.nodes)} nodes)"

    # -- lookup ---------------------------------------------------------------
    def get(self, node_id: str) -> Node | None:
        return self._index.get(node_id)

    def __contains__(self, node_id: str) -> bool:
        return node_id in self._index

    def find(self, kind: type[N], pop: str | None = None) -> list[N]:
        return [n for n in self.nodes if isinstance(n, kind) and (pop is None or n.scope == pop)]

    def one(self, kind: type[N], pop: str) -> N | None:
        found = self.find(kind, pop)
        return found[0] if found else None

    @property
    def populations(self) -> list[Population]:
        return self.find(Population)

    def population(self, name: str) -> Population | None:
        node = self._index.get(name)
        return node if isinstance(node, Population) else None

    def scope(self, pop: str) -> dict[str, Node]:
        """The names visible in expressions of population `pop`."""
        return {n.name: n for n in self.nodes if isinstance(n, Declaration) and n.pop == pop}

    # -- rebuilding -----------------------------------------------------------
    def with_nodes(self, nodes: Iterable[Node]) -> "Model":
        return Model(self.name, nodes)

    def replace(self, *new: Node) -> "Model":
        """Swap nodes for new ones with the same id, keeping their position."""
        by_id = {n.id: n for n in new}
        missing = set(by_id) - set(self._index)
        if missing:
            raise KeyError(f"no node with id {sorted(missing)} to replace")
        return self.with_nodes(by_id.get(n.id, n) for n in self.nodes)

    def add(self, *new: Node) -> "Model":
        return self.with_nodes(self.nodes + tuple(new))

    def remove(self, *ids: str) -> "Model":
        drop = set(ids)
        return self.with_nodes(n for n in self.nodes if n.id not in drop)

    # -- the dependency graph ---------------------------------------------------
    @property
    def _deps(self) -> nx.DiGraph:
        if self._graph is None:
            import networkx as nx

            graph = nx.DiGraph()
            graph.add_nodes_from(self._index)
            for node in self.nodes:
                for source in node.reads():
                    if source in self._index and source != node.id:
                        graph.add_edge(source, node.id)
                for target in node.writes():
                    if target in self._index and target != node.id:
                        graph.add_edge(node.id, target)
            self._graph = graph
        return self._graph

    def dependencies(self, node_id: str) -> set[str]:
        """Ids `node_id` reads directly."""
        return set(self._deps.predecessors(node_id))

    def dependents(self, node_id: str) -> set[str]:
        return set(self._deps.successors(node_id))

    def subexpression_cycle(self, pop: str) -> list[str] | None:
        """A cycle among the subexpressions of `pop`, if there is one."""
        ids = [n.id for n in self.find(Subexpression, pop)]
        if len(ids) < 2:  # the graph has no self-loops: one subexpression is no cycle
            return None
        import networkx as nx

        try:
            return [edge[0] for edge in nx.find_cycle(self._deps.subgraph(ids))]
        except nx.NetworkXNoCycle:
            return None

    def subexpressions_in_order(self, pop: str) -> list[Subexpression]:
        """Subexpressions of `pop`, each after those it uses."""
        ids = [n.id for n in self.find(Subexpression, pop)]
        if len(ids) < 2:
            return [self._index[i] for i in ids]
        import networkx as nx

        order = nx.lexicographical_topological_sort(self._deps.subgraph(ids))
        return [self._index[i] for i in order]
