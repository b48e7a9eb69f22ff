using System.Globalization;

namespace Loom.Formats;

/// <summary>
/// One GGUF metadata value: a scalar, a string, or an array of one element type (arrays may nest).
/// Arrays are held as typed .NET arrays (<c>uint[]</c>, <c>string[]</c>, <c>float[]</c>, … and
/// <see cref="GgufValue"/><c>[]</c> for nested arrays). Integer accessors convert between integer types
/// when the value fits, so a reader need not care whether a writer chose u32 or u64.
/// </summary>
public sealed class GgufValue
{
    private readonly object _value;

    private GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        _value = value;
    }

    public GgufValueType Type { get; }

    /// <summary>The element type of an array (meaningless for other values).</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The value as stored: a boxed scalar, a string, or a typed array.</summary>
    public object Value => _value;

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array.</summary>
    public int Count => IsArray ? ((Array)_value).Length : throw new InvalidOperationException($"a {Type} value is not an array");

    public static GgufValue From(byte value) => new(GgufValueType.UInt8, default, value);
    public static GgufValue From(sbyte value) => new(GgufValueType.Int8, default, value);
    public static GgufValue From(ushort value) => new(GgufValueType.UInt16, default, value);
    public static GgufValue From(short value) => new(GgufValueType.Int16, default, value);
    public static GgufValue From(uint value) => new(GgufValueType.UInt32, default, value);
    public static GgufValue From(int value) => new(GgufValueType.Int32, default, value);
    public static GgufValue From(float value) => new(GgufValueType.Float32, default, value);
    public static GgufValue From(bool value) => new(GgufValueType.Bool, default, value);
    public static GgufValue From(string value) => new(GgufValueType.String, default, value ?? throw new ArgumentNullException(nameof(value)));
    public static GgufValue From(ulong value) => new(GgufValueType.UInt64, default, value);
    public static GgufValue From(long value) => new(GgufValueType.Int64, default, value);
    public static GgufValue From(double value) => new(GgufValueType.Float64, default, value);

    public static GgufValue Array(byte[] values) => new(GgufValueType.Array, GgufValueType.UInt8, values);
    public static GgufValue Array(sbyte[] values) => new(GgufValueType.Array, GgufValueType.Int8, values);
    public static GgufValue Array(ushort[] values) => new(GgufValueType.Array, GgufValueType.UInt16, values);
    public static GgufValue Array(short[] values) => new(GgufValueType.Array, GgufValueType.Int16, values);
    public static GgufValue Array(uint[] values) => new(GgufValueType.Array, GgufValueType.UInt32, values);
    public static GgufValue Array(int[] values) => new(GgufValueType.Array, GgufValueType.Int32, values);
    public static GgufValue Array(float[] values) => new(GgufValueType.Array, GgufValueType.Float32, values);
    public static GgufValue Array(bool[] values) => new(GgufValueType.Array, GgufValueType.Bool, values);
    public static GgufValue Array(string[] values) => new(GgufValueType.Array, GgufValueType.String, NoNulls(values));
    public static GgufValue Array(ulong[] values) => new(GgufValueType.Array, GgufValueType.UInt64, values);
    public static GgufValue Array(long[] values) => new(GgufValueType.Array, GgufValueType.Int64, values);
    public static GgufValue Array(double[] values) => new(GgufValueType.Array, GgufValueType.Float64, values);

    /// <summary>An array of arrays; every element must itself be an array value.</summary>
    public static GgufValue Array(GgufValue[] arrays)
    {
        foreach (var a in NoNulls(arrays))
            if (!a.IsArray) throw new ArgumentException("the elements of a nested GGUF array must be arrays", nameof(arrays));
        return new(GgufValueType.Array, GgufValueType.Array, arrays);
    }

    private static T[] NoNulls<T>(T[] values) where T : class
    {
        ArgumentNullException.ThrowIfNull(values);
        if (System.Array.IndexOf(values, null) >= 0) throw new ArgumentException("array elements cannot be null", nameof(values));
        return values;
    }

    public string AsString() => _value as string ?? throw Mismatch("a string");

    public bool AsBool() => _value is bool b ? b : throw Mismatch("a bool");

    /// <summary>Any integer value that is not negative.</summary>
    public ulong AsUInt64() => _value switch
    {
        byte v => v, ushort v => v, uint v => v, ulong v => v,
        sbyte v when v >= 0 => (ulong)v, short v when v >= 0 => (ulong)v, int v when v >= 0 => (ulong)v, long v when v >= 0 => (ulong)v,
        _ => throw Mismatch("a non-negative integer"),
    };

    /// <summary>Any integer value that fits a <see cref="long"/>.</summary>
    public long AsInt64() => _value switch
    {
        sbyte v => v, short v => v, int v => v, long v => v,
        byte v => v, ushort v => v, uint v => v, ulong v when v <= long.MaxValue => (long)v,
        _ => throw Mismatch("an integer that fits 64 signed bits"),
    };

    public uint AsUInt32()
    {
        ulong v = AsUInt64();
        return v <= uint.MaxValue ? (uint)v : throw Mismatch("an integer that fits 32 unsigned bits");
    }

    public int AsInt32()
    {
        long v = AsInt64();
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw Mismatch("an integer that fits 32 signed bits");
    }

    /// <summary>A float32 or float64 value (integers are accepted too: some writers store whole numbers as ints).</summary>
    public double AsDouble() => _value switch
    {
        float v => v,
        double v => v,
        byte or sbyte or ushort or short or uint or int or ulong or long => Convert.ToDouble(_value, CultureInfo.InvariantCulture),
        _ => throw Mismatch("a number"),
    };

    public float AsSingle() => (float)AsDouble();

    /// <summary>The elements of an array whose element type maps to <typeparamref name="T"/>
    /// (<see cref="GgufValue"/> for arrays of arrays).</summary>
    public T[] AsArray<T>() => _value as T[] ?? throw Mismatch($"an array of {typeof(T).Name}");

    /// <summary>An array of any integer type as 64-bit integers (e.g. token types stored as i32 or u32).</summary>
    public long[] AsInt64Array()
    {
        if (!IsArray || ElementType is GgufValueType.Array or GgufValueType.String or GgufValueType.Bool
                or GgufValueType.Float32 or GgufValueType.Float64)
            throw Mismatch("an array of integers");
        var source = (Array)_value;
        var result = new long[source.Length];
        for (int i = 0; i < result.Length; i++) result[i] = Convert.ToInt64(source.GetValue(i), CultureInfo.InvariantCulture);
        return result;
    }

    private InvalidCastException Mismatch(string wanted) =>
        new($"the GGUF value is {Describe()}, not {wanted}");

    /// <summary>Short type description, e.g. <c>u32</c> or <c>array[string × 32000]</c>.</summary>
    public string Describe() => IsArray
        ? $"array[{(ElementType == GgufValueType.Array ? "array" : ElementType.ToString().ToLowerInvariant())} × {Count}]"
        : Type.ToString().ToLowerInvariant();

    /// <summary>A one-line rendering; arrays show their first few elements.</summary>
    public override string ToString() => Render(8);

    public string Render(int maxElements)
    {
        if (!IsArray)
            return _value switch
            {
                string s => s,
                bool b => b ? "true" : "false",
                float f => f.ToString("R", CultureInfo.InvariantCulture),
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                _ => Convert.ToString(_value, CultureInfo.InvariantCulture)!,
            };
        var array = (Array)_value;
        var shown = new List<string>();
        for (int i = 0; i < Math.Min(array.Length, maxElements); i++)
        {
            object element = array.GetValue(i)!;
            shown.Add(element switch
            {
                GgufValue v => v.Render(maxElements),
                string s => "\"" + s + "\"",
                _ => From(element).Render(maxElements),
            });
        }
        if (array.Length > maxElements) shown.Add($"… {array.Length - maxElements} more");
        return "[" + string.Join(", ", shown) + "]";
    }

    private static GgufValue From(object scalar) => scalar switch
    {
        byte v => From(v), sbyte v => From(v), ushort v => From(v), short v => From(v), uint v => From(v), int v => From(v),
        float v => From(v), bool v => From(v), ulong v => From(v), long v => From(v), double v => From(v),
        _ => throw new ArgumentException($"{scalar.GetType().Name} is not a GGUF scalar", nameof(scalar)),
    };

    internal static GgufValue FromArray(GgufValueType elementType, object array) => new(GgufValueType.Array, elementType, array);
}
