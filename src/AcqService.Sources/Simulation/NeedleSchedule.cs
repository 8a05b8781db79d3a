namespace AcqService.Sources.Simulation;

/// <summary>
/// The needling protocol of a simulated session: needles (trials) alternate real and sham in a seeded
/// balanced random order; each needle is inserted, manipulated a few times, removed, then the subject rests.
/// Both the EEG simulator (which injects responses) and the marker source (which reports the events) read
/// this one schedule, so ground truth and markers agree by construction.
/// </summary>
public sealed class NeedleSchedule
{
    private NeedleSchedule(IReadOnlyList<NeedleEvent> events) => Events = events;

    /// <summary>Events in time order (seconds from the simulation origin).</summary>
    public IReadOnlyList<NeedleEvent> Events { get; }

    /// <summary>Builds the schedule covering <paramref name="durationSeconds"/>.</summary>
    public static NeedleSchedule Create(SimulationSettings settings, double durationSeconds)
    {
        var rng = new Xoshiro(settings.Seed ^ 0x5EED_0F_4EED1EUL);
        var events = new List<NeedleEvent>();
        double t = settings.FirstInsertionSeconds;
        int trial = 0;
        bool[] block = [true, false];
        int inBlock = 2;
        while (t < durationSeconds)
        {
            if (inBlock == 2)
            {
                // Balanced blocks of one real and one sham needle, order randomised per block.
                if (rng.NextDouble() < 0.5)
                {
                    (block[0], block[1]) = (block[1], block[0]);
                }
                inBlock = 0;
            }
            bool real = block[inBlock++];
            string site = settings.Sites[trial % settings.Sites.Count];
            events.Add(new NeedleEvent(t, NeedleAction.Insert, real, site, trial));
            t += Draw(rng, settings.ManipulationDelaySeconds);
            for (int m = 0; m < settings.ManipulationsPerNeedle; m++)
            {
                if (m > 0)
                {
                    t += Draw(rng, settings.ManipulationIntervalSeconds);
                }
                events.Add(new NeedleEvent(t, NeedleAction.Manipulate, real, site, trial));
            }
            t += Draw(rng, settings.RemovalDelaySeconds);
            events.Add(new NeedleEvent(t, NeedleAction.Remove, real, site, trial));
            t += Draw(rng, settings.RestSeconds);
            trial++;
        }
        return new NeedleSchedule([.. events.Where(e => e.Time < durationSeconds)]);
    }

    private static double Draw(Xoshiro rng, double[] range) => rng.Uniform(range[0], range[1]);
}
