using System.Runtime.CompilerServices;

namespace HealthMedallion.Generator.Generation;

/// <summary>
/// A small, fast, counter-seeded random stream (xoshiro256**): one per patient and purpose, so that any patient
/// can be regenerated on its own and chunks can be produced in parallel yet give the same bytes as serially.
/// </summary>
internal struct Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(int seed, long key, ulong purpose)
    {
        var x = ((ulong)(uint)seed << 32) ^ (ulong)key ^ (purpose * 0xD1B54A32D192ED03UL);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = BitRotate(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitRotate(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    /// <summary>Uniform in [min, max].</summary>
    public int Between(int min, int max) => min + Next(max - min + 1);

    public bool Chance(double probability) => NextDouble() < probability;

    public double Normal(double mean, double sd)
    {
        // Box-Muller; the second value is dropped so that each draw costs a fixed amount of the stream.
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return mean + (sd * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    public double LogNormal(double mu, double sigma) => Math.Exp(Normal(mu, sigma));

    /// <summary>Knuth's method: fine for the small means used here.</summary>
    public int Poisson(double lambda)
    {
        var limit = Math.Exp(-lambda);
        var k = 0;
        var p = NextDouble();
        while (p > limit)
        {
            k++;
            p *= NextDouble();
        }

        return k;
    }

    /// <summary>Index into a cumulative weight table (ascending, last = total).</summary>
    public int Pick(ReadOnlySpan<double> cumulative)
    {
        var u = NextDouble() * cumulative[^1];
        var index = cumulative.BinarySearch(u);
        index = index < 0 ? ~index : index + 1;
        return Math.Min(index, cumulative.Length - 1);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BitRotate(ulong x, int k) => (x << k) | (x >> (64 - k));
}
