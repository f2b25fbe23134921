// Graph helpers for check-layers.js. A graph is a Map from each node to a Map whose keys are the
// nodes it has an edge to (the values are whatever the caller keeps about the edge).

/**
 * The strongly connected components of two or more nodes (Tarjan's algorithm): each one holds a
 * cycle. A node on no cycle is in no component returned.
 * @param {Map<string, Map<string, unknown>>} edges
 * @returns {string[][]}
 */
export function cyclicComponents(edges) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const components = [];
  const connect = (v) => {
    state.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!state.has(w)) {
        connect(w);
        state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
      } else if (state.get(w).onStack) {
        state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
      }
    }
    if (state.get(v).low === state.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        state.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of edges.keys()) if (!state.has(v)) connect(v);
  return components;
}

/**
 * The shortest cycle among a component's nodes (a breadth-first search from each), as a path
 * that ends where it starts.
 * @param {Map<string, Map<string, unknown>>} edges
 * @param {string[]} component
 * @returns {string[]}
 */
export function shortestCycle(edges, component) {
  const members = new Set(component);
  let shortest;
  for (const start of component) {
    const cameFrom = new Map([[start, undefined]]);
    const queue = [start];
    let closing;
    while (queue.length > 0 && !closing) {
      const v = queue.shift();
      for (const w of edges.get(v)?.keys() ?? []) {
        if (w === start) {
          closing = v;
          break;
        }
        if (members.has(w) && !cameFrom.has(w)) {
          cameFrom.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = closing; v !== start; v = cameFrom.get(v)) path.splice(1, 0, v);
    path.push(start);
    if (!shortest || path.length < shortest.length) shortest = path;
  }
  return shortest;
}
