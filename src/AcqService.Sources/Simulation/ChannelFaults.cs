using AcqService.Core.Model;

namespace AcqService.Sources.Simulation;

/// <summary>
/// Faults injected into simulated EEG channels (<see cref="SimulationSettings.FlatChannels"/>,
/// <see cref="SimulationSettings.RailedChannels"/>, <see cref="SimulationSettings.MainsChannels"/>), so the
/// pre-session check can be shown and tested without a bad electrode. They act on the finished sample and draw no
/// random numbers, so every channel without a fault keeps exactly the values it had.
/// </summary>
internal sealed class ChannelFaults
{
    private readonly SimulationSettings _settings;
    private readonly Fault[] _faults;

    [Flags]
    private enum Fault : byte
    {
        None = 0,
        Mains = 1,
        Railed = 2,
        Flat = 4,
    }

    private ChannelFaults(SimulationSettings settings, Fault[] faults)
    {
        _settings = settings;
        _faults = faults;
    }

    /// <summary>The faults of these channels, or null when the settings inject none.</summary>
    /// <exception cref="ArgumentException">A label is not one of the channels.</exception>
    public static ChannelFaults? Create(SimulationSettings settings, IReadOnlyList<ChannelDescriptor> channels)
    {
        if (settings.FlatChannels.Count + settings.RailedChannels.Count + settings.MainsChannels.Count == 0)
        {
            return null;
        }
        var faults = new Fault[channels.Count];
        foreach ((List<string> labels, Fault fault, string name) in new[]
        {
            (settings.MainsChannels, Fault.Mains, nameof(settings.MainsChannels)),
            (settings.RailedChannels, Fault.Railed, nameof(settings.RailedChannels)),
            (settings.FlatChannels, Fault.Flat, nameof(settings.FlatChannels)),
        })
        {
            foreach (string label in labels)
            {
                int index = -1;
                for (int c = 0; c < channels.Count && index < 0; c++)
                {
                    index = string.Equals(channels[c].Label, label, StringComparison.OrdinalIgnoreCase) ? c : -1;
                }
                if (index < 0)
                {
                    throw new ArgumentException($"Simulation:{name}: '{label}' is not a channel of the simulated EEG (channels: {string.Join(", ", channels.Select(ch => ch.Label))})");
                }
                faults[index] |= fault;
            }
        }
        return new ChannelFaults(settings, faults);
    }

    /// <summary>Applies the faults to one frame at time <paramref name="t"/> (seconds from sample 0); mains in the phase of the common mains.</summary>
    public void Apply(Span<double> frame, double t, double linePhase)
    {
        double mains = _settings.MainsMicrovolts * Math.Sin((2 * Math.PI * (_settings.MainsHz ?? _settings.LineFrequencyHz) * t) + linePhase);
        double rail = _settings.RailMicrovolts;
        for (int c = 0; c < frame.Length; c++)
        {
            Fault fault = _faults[c];
            if ((fault & Fault.Mains) != 0)
            {
                frame[c] += mains;
            }
            if ((fault & Fault.Railed) != 0)
            {
                // An electrode offset as large as the full scale: the amplifier clips whenever the EEG is positive.
                frame[c] = Math.Min(frame[c] + rail, rail);
            }
            if ((fault & Fault.Flat) != 0)
            {
                frame[c] = 0;
            }
        }
    }
}
