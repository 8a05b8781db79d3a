using System.Text.RegularExpressions;

namespace AcqService.Core.Pipeline;

/// <summary>A rule mapping marker labels to a condition.</summary>
/// <param name="Name">Condition name, e.g. <c>insert/real</c>.</param>
/// <param name="Pattern">.NET regular expression matched against the marker label (e.g. <c>^needle/insert;.*kind=real</c>).</param>
public sealed record ConditionRule(string Name, string Pattern);

/// <summary>
/// Maps marker labels to conditions with ordered rules (first match wins), as configured in the device
/// profile or session settings. With no rules and <see cref="LabelsAsConditions"/> set, every distinct label
/// becomes its own condition (what <c>analyze</c> does on foreign files). Used by the aligner only, so it
/// is single-threaded by construction.
/// </summary>
public sealed class EventClassifier
{
    private readonly List<(string Name, Regex Regex)> _rules = [];
    private readonly List<string> _conditions = [];
    private readonly Dictionary<string, int> _labelConditions = new(StringComparer.Ordinal);

    /// <summary>Creates a classifier.</summary>
    /// <exception cref="ArgumentException">A pattern is not a valid regular expression (the message names the rule).</exception>
    public EventClassifier(IEnumerable<ConditionRule> rules, bool labelsAsConditions = false)
    {
        foreach (ConditionRule rule in rules)
        {
            Regex regex;
            try
            {
                // The timeout guards against a catastrophic pattern, not against a busy machine: labels are short, and 100 ms
                // expired under heavy load (CI with a load average of 20), silently changing a marker's condition.
                regex = new Regex(rule.Pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"condition '{rule.Name}': pattern '{rule.Pattern}' is not a valid regular expression: {ex.Message}", nameof(rules), ex);
            }
            _rules.Add((rule.Name, regex));
            if (!_conditions.Contains(rule.Name, StringComparer.Ordinal))
            {
                _conditions.Add(rule.Name);
            }
        }
        LabelsAsConditions = labelsAsConditions && _rules.Count == 0;
    }

    /// <summary>True when each distinct label is its own condition.</summary>
    public bool LabelsAsConditions { get; }

    /// <summary>Known condition names in first-seen order. Read it only from the aligner's thread or after the aligner completed.</summary>
    public IReadOnlyList<string> Conditions => _conditions;

    /// <summary>Condition name for a label, or null when no rule matches.</summary>
    public string? Classify(string label)
    {
        if (LabelsAsConditions)
        {
            if (!_labelConditions.ContainsKey(label))
            {
                _labelConditions.Add(label, _conditions.Count);
                _conditions.Add(label);
            }
            return label;
        }
        foreach ((string name, Regex regex) in _rules)
        {
            if (regex.IsMatch(label))
            {
                return name;
            }
        }
        return null;
    }
}
