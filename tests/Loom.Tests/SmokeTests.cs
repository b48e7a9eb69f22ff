using Loom.Tensors;

namespace Loom.Tests;

public class SmokeTests
{
    [Fact]
    public void ByteCountRefusesPartialBlocks()
    {
        Assert.Equal(34, GgmlTypes.TryByteCount(GgmlType.Q8_0, 32));
        Assert.Equal(-1, GgmlTypes.TryByteCount(GgmlType.Q8_0, 33));
        Assert.Equal(-1, GgmlTypes.TryByteCount(GgmlType.F32, long.MaxValue / 2));
    }
}
