using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AcqService.Core;

/// <summary>Typed access to the contracts of a <see cref="JsonSerializerOptions"/>.</summary>
public static class JsonOptionsExtensions
{
    /// <summary>
    /// The contract of <typeparamref name="T"/> in <paramref name="options"/>. Every serializer call of the program passes
    /// one of these instead of the options themselves: that overload needs no run-time code generation (the program is
    /// also built with Native AOT), and with source-generated resolvers a type missing from them throws here.
    /// </summary>
    /// <exception cref="NotSupportedException">The options' resolvers have no contract for <typeparamref name="T"/>.</exception>
    public static JsonTypeInfo<T> TypeInfo<T>(this JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }
}
