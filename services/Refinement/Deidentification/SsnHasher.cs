using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Refinement.Deidentification;

/// <summary>
/// Replaces an SSN by HMAC-SHA256 under a secret key (lower-case hex): equal SSNs give equal hashes, so identity
/// resolution can still match on them, while without the key nobody can test guesses (an unkeyed hash of the
/// 10^9 possible SSNs is reversed in minutes).
/// </summary>
public sealed class SsnHasher
{
    private readonly byte[] _key;

    public SsnHasher(IOptions<RefinementOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _key = options.Value.SsnHashKeyBytes();
    }

    /// <summary>The hash of the nine digits of <paramref name="ssn"/> (any punctuation ignored); null unless it has exactly nine.</summary>
    public string? Hash(string ssn)
    {
        ArgumentNullException.ThrowIfNull(ssn);
        Span<byte> digits = stackalloc byte[9];
        var count = 0;
        foreach (var c in ssn)
        {
            if (char.IsAsciiDigit(c))
            {
                if (count == digits.Length)
                {
                    return null;
                }

                digits[count++] = (byte)c;
            }
            else if (c is not ('-' or ' '))
            {
                return null;
            }
        }

        if (count != digits.Length)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, digits, hash);
        return Convert.ToHexStringLower(hash);
    }
}
