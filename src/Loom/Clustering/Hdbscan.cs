namespace Loom.Clustering;

/// <summary>Options of <see cref="Hdbscan"/>; the defaults are BERTopic's.</summary>
public sealed record HdbscanOptions
{
    /// <summary>Smallest group of points that counts as a cluster.</summary>
    public int MinClusterSize { get; init; } = 10;
    /// <summary>Neighbourhood size for core distances (counting the point itself); defaults to <see cref="MinClusterSize"/>.</summary>
    public int? MinSamples { get; init; }
    /// <summary>Whether the root (all points) may be selected as the only cluster.</summary>
    public bool AllowSingleCluster { get; init; }
}

/// <summary>One edge of the condensed tree: a point or a child cluster leaving <see cref="Parent"/> at density λ = 1 / distance.</summary>
public readonly record struct CondensedTreeEdge(int Parent, int Child, double Lambda, int ChildSize);

/// <summary>
/// HDBSCAN (Campello, Moulavi and Sander 2013; McInnes and Healy 2017), Euclidean: core distances, mutual reachability
/// distances, their minimum spanning tree (Prim, O(n²) memory-light), the single-linkage hierarchy, the tree condensed by
/// <see cref="HdbscanOptions.MinClusterSize"/>, and excess-of-mass selection of the most stable clusters. Points in no
/// selected cluster are outliers (−1). Membership strength is λ_point / λ_max of the point's cluster.
/// Duplicate points (distance 0) are given a density just above the densest non-duplicate merge.
/// </summary>
public sealed class Hdbscan(HdbscanOptions? options = null) : IClusterer
{
    public HdbscanOptions Options { get; } = options ?? new HdbscanOptions();
    /// <summary>Cluster of each point of the last fit, −1 for outliers.</summary>
    public int[] Labels { get; private set; } = [];
    /// <summary>Membership strength in [0, 1] of each point of the last fit (0 for outliers).</summary>
    public float[] Probabilities { get; private set; } = [];
    /// <summary>The condensed tree of the last fit; cluster ids start at the number of points (the root).</summary>
    public IReadOnlyList<CondensedTreeEdge> CondensedTree { get; private set; } = [];
    /// <summary>Stability (excess of mass) of each condensed-tree cluster, as computed before selection.</summary>
    public IReadOnlyDictionary<int, double> Stability { get; private set; } = new Dictionary<int, double>();

    public int[] FitPredict(IReadOnlyList<float[]> points, CancellationToken cancellationToken = default)
    {
        int minClusterSize = Options.MinClusterSize, minSamples = Options.MinSamples ?? Options.MinClusterSize;
        if (minClusterSize < 2) throw new ArgumentOutOfRangeException(nameof(Options), "MinClusterSize must be at least 2");
        if (minSamples < 1) throw new ArgumentOutOfRangeException(nameof(Options), "MinSamples must be at least 1");
        Points.Validate(points, 2);
        int n = points.Count;
        var core = CoreDistances(points, Math.Min(minSamples, n), cancellationToken);
        var mst = MinimumSpanningTree(points, core, cancellationToken);
        var hierarchy = SingleLinkage(mst, n);
        var tree = Condense(hierarchy, n, minClusterSize);
        var stability = ComputeStability(tree, n);
        Stability = new Dictionary<int, double>(stability);
        var selected = SelectExcessOfMass(tree, stability, n, Options.AllowSingleCluster);
        (Labels, Probabilities) = Label(tree, selected, n);
        CondensedTree = tree;
        return Labels;
    }

    /// <summary>Distance of each point to its k-th nearest point, counting itself (so k = 1 gives 0).</summary>
    internal static double[] CoreDistances(IReadOnlyList<float[]> points, int k, CancellationToken cancellationToken)
    {
        int n = points.Count;
        var core = new double[n];
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var nearest = new PriorityQueue<int, double>(Comparer<double>.Create((a, b) => b.CompareTo(a))); // max-heap of the k smallest
            for (int j = 0; j < n; j++)
            {
                double d = Math.Sqrt(Points.SquaredDistance(points[i], points[j]));
                if (nearest.Count < k) nearest.Enqueue(j, d);
                else if (nearest.TryPeek(out _, out double worst) && d < worst) nearest.EnqueueDequeue(j, d);
            }
            nearest.TryPeek(out _, out core[i]);
        });
        return core;
    }

    /// <summary>Prim's algorithm on the complete graph of mutual reachability distances max(core_a, core_b, d(a, b)).</summary>
    internal static (int A, int B, double Weight)[] MinimumSpanningTree(IReadOnlyList<float[]> points, double[] core, CancellationToken cancellationToken)
    {
        int n = points.Count;
        var inTree = new bool[n];
        var best = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();
        var from = new int[n];
        var edges = new (int, int, double)[n - 1];
        int current = 0;
        inTree[0] = true;
        for (int added = 0; added < n - 1; added++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int next = -1;
            double nextWeight = double.PositiveInfinity;
            for (int j = 0; j < n; j++)
            {
                if (inTree[j]) continue;
                double reach = Math.Max(Math.Max(core[current], core[j]), Math.Sqrt(Points.SquaredDistance(points[current], points[j])));
                if (reach < best[j]) { best[j] = reach; from[j] = current; }
                if (best[j] < nextWeight) { nextWeight = best[j]; next = j; }
            }
            inTree[next] = true;
            edges[added] = (from[next], next, nextWeight);
            current = next;
        }
        return edges;
    }

    /// <summary>Merges of the single-linkage hierarchy: node n + i joins <c>Left</c> and <c>Right</c> at <c>Distance</c>.</summary>
    internal static (int Left, int Right, double Distance, int Size)[] SingleLinkage((int A, int B, double Weight)[] mst, int n)
    {
        var parent = Enumerable.Range(0, 2 * n - 1).ToArray();
        var size = new int[2 * n - 1];
        for (int i = 0; i < n; i++) size[i] = 1;
        int Find(int x)
        {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        var merges = new (int, int, double, int)[n - 1];
        int node = n;
        foreach (var (a, b, w) in mst.Select((e, i) => (e, i)).OrderBy(e => e.e.Weight).ThenBy(e => e.i).Select(e => e.e))
        {
            int ra = Find(a), rb = Find(b);
            size[node] = size[ra] + size[rb];
            merges[node - n] = (ra, rb, w, size[node]);
            parent[ra] = parent[rb] = node;
            node++;
        }
        return merges;
    }

    internal static List<CondensedTreeEdge> Condense((int Left, int Right, double Distance, int Size)[] merges, int n, int minClusterSize)
    {
        int root = 2 * n - 2;
        int Size(int node) => node < n ? 1 : merges[node - n].Size;
        double minPositive = merges.Select(m => m.Distance).Where(d => d > 0).DefaultIfEmpty(1).Min();
        double Lambda(double distance) => 1 / Math.Max(distance, minPositive * 1e-3);

        var tree = new List<CondensedTreeEdge>();
        var relabel = new Dictionary<int, int> { [root] = n };
        int nextLabel = n + 1;
        var queue = new Queue<int>();
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            int node = queue.Dequeue();
            var (left, right, distance, _) = merges[node - n];
            double lambda = Lambda(distance);
            int label = relabel[node];
            bool leftBig = Size(left) >= minClusterSize, rightBig = Size(right) >= minClusterSize;
            if (leftBig && rightBig)
            {
                foreach (int child in new[] { left, right })
                {
                    relabel[child] = nextLabel++;
                    tree.Add(new CondensedTreeEdge(label, relabel[child], lambda, Size(child)));
                    if (child >= n) queue.Enqueue(child);
                }
                continue;
            }
            foreach (int child in new[] { left, right })
            {
                bool big = child == left ? leftBig : rightBig;
                if (big)
                {
                    relabel[child] = label; // the cluster continues, shrunk
                    if (child >= n) queue.Enqueue(child);
                }
                else
                {
                    foreach (int point in Leaves(child, merges, n)) tree.Add(new CondensedTreeEdge(label, point, lambda, 1));
                }
            }
        }
        return tree;
    }

    private static IEnumerable<int> Leaves(int node, (int Left, int Right, double Distance, int Size)[] merges, int n)
    {
        var stack = new Stack<int>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            int x = stack.Pop();
            if (x < n) { yield return x; continue; }
            stack.Push(merges[x - n].Right);
            stack.Push(merges[x - n].Left);
        }
    }

    internal static Dictionary<int, double> ComputeStability(List<CondensedTreeEdge> tree, int n)
    {
        var birth = new Dictionary<int, double> { [n] = 0 };
        foreach (var e in tree) if (e.Child >= n) birth[e.Child] = e.Lambda;
        var stability = birth.Keys.ToDictionary(c => c, _ => 0.0);
        foreach (var e in tree) stability[e.Parent] += (e.Lambda - birth[e.Parent]) * e.ChildSize;
        return stability;
    }

    internal static HashSet<int> SelectExcessOfMass(List<CondensedTreeEdge> tree, Dictionary<int, double> stability, int n, bool allowSingleCluster)
    {
        var children = tree.Where(e => e.Child >= n).GroupBy(e => e.Parent).ToDictionary(g => g.Key, g => g.Select(e => e.Child).ToList());
        var score = new Dictionary<int, double>(stability);
        var selected = new HashSet<int>();
        // Children have larger ids than their parents, so descending ids visit every child before its parent.
        foreach (int cluster in stability.Keys.OrderByDescending(c => c))
        {
            if (cluster == n && !allowSingleCluster) break;
            double childSum = children.TryGetValue(cluster, out var kids) ? kids.Sum(k => score[k]) : 0;
            if (childSum > score[cluster])
            {
                score[cluster] = childSum;
            }
            else
            {
                selected.Add(cluster);
                foreach (int descendant in Descendants(cluster, children)) selected.Remove(descendant);
            }
        }
        return selected;
    }

    private static IEnumerable<int> Descendants(int cluster, Dictionary<int, List<int>> children)
    {
        if (!children.TryGetValue(cluster, out var kids)) yield break;
        foreach (int kid in kids)
        {
            yield return kid;
            foreach (int d in Descendants(kid, children)) yield return d;
        }
    }

    internal static (int[] Labels, float[] Probabilities) Label(List<CondensedTreeEdge> tree, HashSet<int> selected, int n)
    {
        var parentOf = tree.Where(e => e.Child >= n).ToDictionary(e => e.Child, e => e.Parent);
        var clusterIds = selected.Order().Select((c, i) => (c, i)).ToDictionary(e => e.c, e => e.i);
        var labels = Enumerable.Repeat(-1, n).ToArray();
        var lambdas = new double[n];
        foreach (var e in tree.Where(e => e.Child < n))
        {
            lambdas[e.Child] = e.Lambda;
            for (int c = e.Parent; ; c = parentOf[c])
            {
                if (selected.Contains(c)) { labels[e.Child] = clusterIds[c]; break; }
                if (!parentOf.ContainsKey(c)) break;
            }
        }
        var maxLambda = new double[selected.Count];
        for (int i = 0; i < n; i++) if (labels[i] >= 0) maxLambda[labels[i]] = Math.Max(maxLambda[labels[i]], lambdas[i]);
        var probabilities = new float[n];
        for (int i = 0; i < n; i++)
            if (labels[i] >= 0) probabilities[i] = maxLambda[labels[i]] > 0 ? (float)(Math.Min(lambdas[i], maxLambda[labels[i]]) / maxLambda[labels[i]]) : 1f;
        return (labels, probabilities);
    }
}
