using System.Runtime.CompilerServices;

namespace AcqService.Dsp;

/// <summary>Argument checks the BCL <c>ThrowIf...</c> helpers do not cover (NaN and open intervals).</summary>
internal static class Guard
{
    /// <summary>Throws unless <paramref name="value"/> is finite and strictly positive.</summary>
    public static void ThrowIfNotPositiveFinite(double value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        // NaN compares false with everything, so ThrowIfNegativeOrZero alone would let it through.
        if (!double.IsFinite(value) || value <= 0.0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be a finite value greater than 0.");
        }
    }

    /// <summary>Throws unless <paramref name="low"/> &lt; <paramref name="value"/> &lt; <paramref name="high"/>.</summary>
    public static void ThrowIfNotInOpenInterval(double value, double low, double high, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (!(value > low && value < high))
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"Must lie strictly between {low} and {high}.");
        }
    }
}
