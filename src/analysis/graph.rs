//! The dependency graph: what every value, pool and table uses, an order in
//! which each comes after what it uses, and the loops that prevent one
//! (shown step by step, even through `remaining`).

use super::names::{Checker, DefKind, Node};
use crate::diag::Diagnostic;
use crate::span::Span;
use crate::syntax::ast;

/// The graph of one file: nodes are defs `0..D`, pools `D..D+P` (pool 0 is
/// the price, pool k+1 what is left after deduction k), tables after.
pub(super) struct Graph {
    pub(super) n_defs: usize,
    pub(super) n_pools: usize,
    /// What each node uses, with where.
    pub(super) edges: Vec<Vec<(Node, Span)>>,
    /// Every node after what it uses (file order for ties).
    pub(super) order: Vec<Node>,
    /// Whether a loop was found (and reported).
    pub(super) cyclic: bool,
}

impl Graph {
    pub(super) fn id(&self, n: Node) -> usize {
        match n {
            Node::Def(i) => i,
            Node::Pool(k) => self.n_defs + k,
            Node::Table(t) => self.n_defs + self.n_pools + t,
        }
    }

    fn node_of(&self, id: usize) -> Node {
        if id < self.n_defs {
            Node::Def(id)
        } else if id < self.n_defs + self.n_pools {
            Node::Pool(id - self.n_defs)
        } else {
            Node::Table(id - self.n_defs - self.n_pools)
        }
    }

    /// The slots `i` uses directly, through tables, and whether it reads a
    /// pool (a dependency of its own kind). `seen[id] == i + 1` marks a node
    /// visited for slot `i`: no clearing between slots.
    pub(super) fn slot_deps(&self, i: usize, seen: &mut [usize]) -> (Vec<usize>, bool) {
        let mut ds = Vec::new();
        let mut pool = false;
        let mut stack: Vec<Node> = self.edges[i].iter().map(|(n, _)| *n).collect();
        while let Some(n) = stack.pop() {
            let id = self.id(n);
            if seen[id] == i + 1 {
                continue;
            }
            seen[id] = i + 1;
            match n {
                Node::Def(j) => ds.push(j),
                Node::Pool(_) => pool = true,
                Node::Table(_) => stack.extend(self.edges[id].iter().map(|(n, _)| *n)),
            }
        }
        ds.sort_unstable();
        ds.dedup();
        (ds, pool)
    }
}

impl<'a> Checker<'a> {
    /// Phase 2: references resolved into the graph's edges, and its order.
    pub(super) fn graph(&mut self, n_deductions: usize, price_def: Option<usize>) -> Graph {
        let n_defs = self.defs.len();
        let n_pools = n_deductions + 1;
        let mut g = Graph {
            n_defs,
            n_pools,
            edges: vec![Vec::new(); n_defs + n_pools + self.tables.len()],
            order: Vec::new(),
            cyclic: false,
        };
        let mut ded_slot = vec![usize::MAX; n_deductions];
        for i in 0..n_defs {
            let (kind, expr, when) = {
                let d = &self.defs[i];
                (d.kind, d.expr, d.when)
            };
            let in_ded = match kind {
                DefKind::Deduction(k) => {
                    ded_slot[k] = i;
                    Some(k)
                }
                _ => None,
            };
            if let Some((first, false)) = self.group_role(i) {
                g.edges[i] = self.follower_edges(first, i);
                continue;
            }
            let mut out = Vec::new();
            self.references(expr, in_ded, &mut out);
            if let Some(w) = when {
                self.references(w, in_ded, &mut out);
            }
            self.weight_references(i, in_ded, &mut out);
            g.edges[i] = out;
        }
        for t in 0..self.tables.len() {
            let rows = self.tables[t].rows;
            let mut out = Vec::new();
            for row in rows {
                match &row.key {
                    ast::TableKey::Value(e) => self.references(e, None, &mut out),
                    ast::TableKey::Range { lo, hi, .. } => {
                        for e in lo.iter().chain(hi.iter()) {
                            self.references(e, None, &mut out);
                        }
                    }
                }
                self.references(&row.value, None, &mut out);
            }
            let id = g.id(Node::Table(t));
            g.edges[id] = out;
        }
        // Pools: pool 0 is the price; pool k+1 needs pool k and deduction k.
        if let Some(p) = price_def {
            let span = self.defs[p].name.span;
            let id = g.id(Node::Pool(0));
            g.edges[id].push((Node::Def(p), span));
        }
        for (k, &slot) in ded_slot.iter().enumerate() {
            if slot == usize::MAX {
                continue;
            }
            let span = self.defs[slot].name.span;
            let id = g.id(Node::Pool(k + 1));
            g.edges[id].push((Node::Pool(k), span));
            g.edges[id].push((Node::Def(slot), span));
        }
        self.topo_sort(&mut g);
        g
    }

    /// Orders the nodes so that each comes after what it uses; reports loops.
    fn topo_sort(&mut self, graph: &mut Graph) {
        let g: &Graph = graph;
        let edges = &g.edges;
        let n = edges.len();
        // Iterative DFS post-order; file order for ties.
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut order = Vec::with_capacity(n);
        let mut cyclic = false;
        for root in 0..n {
            if state[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            state[root] = 1;
            while let Some(&mut (v, ref mut next)) = stack.last_mut() {
                if let Some(&(dep, _)) = edges[v].get(*next) {
                    *next += 1;
                    let d = g.id(dep);
                    match state[d] {
                        0 => {
                            state[d] = 1;
                            stack.push((d, 0));
                        }
                        1 => {
                            // A loop: the stack from `d` to `v`, then back to `d`.
                            cyclic = true;
                            let from = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                            let chain: Vec<(usize, Span)> = stack[from..]
                                .iter()
                                .map(|(x, nx)| {
                                    let span = edges[*x]
                                        .get(nx.saturating_sub(1))
                                        .map_or(Span::default(), |(_, s)| *s);
                                    (*x, span)
                                })
                                .collect();
                            self.report_cycle(&chain, &|x| g.node_of(x));
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    order.push(g.node_of(v));
                    stack.pop();
                }
            }
        }
        graph.order = order;
        graph.cyclic = cyclic;
    }

    fn node_name(&self, n: Node) -> String {
        match n {
            Node::Def(i) => format!("`{}`", self.defs[i].name.name),
            Node::Pool(k) => {
                let ded = self
                    .defs
                    .iter()
                    .find(|d| d.kind == DefKind::Deduction(k))
                    .map_or("?".to_string(), |d| d.name.name.clone());
                format!("`remaining` in `{ded}`")
            }
            Node::Table(t) => format!("table `{}`", self.tables[t].name.name),
        }
    }

    fn report_cycle(&mut self, chain: &[(usize, Span)], node_of: &dyn Fn(usize) -> Node) {
        let names: Vec<String> = chain
            .iter()
            .map(|(x, _)| self.node_name(node_of(*x)))
            .collect();
        let mut path = names.join(" → ");
        if let Some(first) = names.first() {
            path.push_str(" → ");
            path.push_str(first);
        }
        let through_pool = chain
            .iter()
            .any(|(x, _)| matches!(node_of(*x), Node::Pool(_)));
        let mut d = Diagnostic::error(crate::codes::DEPS_CYCLE, format!("dependency loop: {path}"));
        for (i, (x, span)) in chain.iter().enumerate() {
            let next = names
                .get(i + 1)
                .or(names.first())
                .cloned()
                .unwrap_or_default();
            let label = match node_of(*x) {
                Node::Pool(_) => format!("the pool here is what is left after every earlier deduction, {next} among them"),
                _ => format!("{} uses {next}", names[i]),
            };
            if i == 0 {
                d = d.primary(*span, label);
            } else {
                d = d.secondary(*span, label);
            }
        }
        d = d.help(if through_pool {
            "`remaining` depends on every earlier deduction; compute this from named values instead, or move the deduction"
        } else {
            "a value cannot depend on itself; break the loop by computing one of these from inputs"
        });
        self.err(d);
    }
}
