using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace AcqService.Tests.Shared;

/// <summary>
/// Checks that options work without reflection-built contracts: every type reachable from the given types (members,
/// elements, keys, as the reflection contract sees them) is resolved by a generated context, and every enum among
/// them writes each value as the reflection contract with the same options does.
/// </summary>
/// <remarks>
/// Why: a type missing from a context is only found when it is written, and an enum missing from the options'
/// converters is silently written as a number. Shared by the test projects as a linked file.
/// </remarks>
internal static class GeneratedContracts
{
    /// <summary>Asserts the above for <paramref name="roots"/> (include the run-time types of <see cref="object"/> members).</summary>
    /// <returns>The types visited, for assertions on coverage.</returns>
    public static IReadOnlySet<Type> AssertComplete(JsonSerializerOptions options, params Type[] roots)
    {
        var reflection = new JsonSerializerOptions(options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>(roots);
        while (queue.TryDequeue(out Type? type))
        {
            if (!seen.Add(type))
            {
                continue;
            }
            JsonTypeInfo generated;
            try
            {
                generated = options.GetTypeInfo(type);
            }
            catch (NotSupportedException ex)
            {
                Assert.Fail($"{type}: no compile-time contract ({ex.Message})");
                throw;
            }
            Assert.True(generated.OriginatingResolver is JsonSerializerContext, $"{type}: resolved by {generated.OriginatingResolver?.GetType().Name ?? "nothing"}, not a generated context");
            JsonTypeInfo expected = reflection.GetTypeInfo(type);
            if (type.IsEnum)
            {
                foreach (object value in Enum.GetValues(type))
                {
                    Assert.Equal(JsonSerializer.Serialize(value, expected), JsonSerializer.Serialize(value, generated));
                }
            }
            if (Nullable.GetUnderlyingType(type) is Type underlying)
            {
                queue.Enqueue(underlying);
            }
            foreach (JsonPropertyInfo property in expected.Properties)
            {
                queue.Enqueue(property.PropertyType);
            }
            if (expected.ElementType is Type element)
            {
                queue.Enqueue(element);
            }
            if (expected.KeyType is Type key)
            {
                queue.Enqueue(key);
            }
        }
        return seen;
    }
}
