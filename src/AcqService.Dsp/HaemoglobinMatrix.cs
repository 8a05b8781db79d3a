namespace AcqService.Dsp;

/// <summary>
/// The 2×2 matrix that turns one source–detector pair's <b>natural-log</b> optical densities (OD = −ln(I/I₀), as
/// produced by <see cref="NirsOpticalDensity"/> and <see cref="OpticalDensityTracker"/>) at two wavelengths into
/// ΔHbO and ΔHbR in mol/L (M; ×1e6 for µM). Built once per pair, applied per frame with four multiplications.
/// <para>
/// Two conventions, both on Prahl's extinction table (<see cref="BeerLambert.ExtinctionTable"/>, decadic, cm⁻¹·M⁻¹):
/// </para>
/// <list type="bullet">
/// <item><see cref="LikeMne"/> reproduces MNE-Python's <c>beer_lambert_law(raw, ppf)</c> exactly (checked against
/// MNE 1.3.0): absorption = ε·<b>0.2303</b>, distance in <b>metres</b>, matrix EL = absorption·d·ppf (the row of
/// wavelength i scaled by ppf<sub>i</sub>), concentrations = EL⁻¹·OD·1e−3. Since ln10·OD₁₀ = OD and 0.2303 stands
/// for ln10/10 (ln 10 × 100 cm/m ÷ 1000), this is the modified Beer–Lambert law with DPF = ppf — except that MNE
/// truncates ln10/10 = 0.2302585… to 0.2303, so MNE's concentrations are smaller by the factor
/// 0.2302585/0.2303 = 0.99982 (−1.8e−4 relative) than the exact law. MNE's default ppf is 6.0 since MNE 0.24
/// (it was 0.1 before, a DPF/partial-volume ratio); a per-wavelength pair of ppf values is accepted since MNE 1.7.</item>
/// <item><see cref="ModifiedBeerLambert"/> is the exact law of <see cref="BeerLambert.ToConcentrations"/> (decadic ε,
/// d in cm, DPF per wavelength), applied to natural-log OD by dividing by ln 10.</item>
/// </list>
/// MNE sets the concentrations of a pair with a zero or NaN distance to 0 (with a warning); these factories throw instead.
/// </summary>
public readonly record struct HaemoglobinMatrix(double HbOFromOd1, double HbOFromOd2, double HbRFromOd1, double HbRFromOd2)
{
    /// <summary>MNE's absorption factor applied to the decadic extinction coefficients (a truncated ln10/10).</summary>
    public const double MneAbsorptionFactor = 0.2303;

    /// <summary>MNE's default partial pathlength factor (since MNE 0.24; 0.1 before).</summary>
    public const double MneDefaultPpf = 6.0;

    /// <summary>
    /// MNE's matrix for one pair: EL = ε·0.2303·d·ppf (rows = wavelengths), result = EL⁻¹ × 1e−3.
    /// </summary>
    /// <param name="wavelength1Nm">First (in MNE: lower) wavelength of the pair; its OD is the first input.</param>
    /// <param name="wavelength2Nm">Second wavelength.</param>
    /// <param name="distanceM">Source–detector distance in <b>metres</b> (MNE warns above 0.1 m).</param>
    /// <param name="ppf1">Partial pathlength factor at the first wavelength (MNE default 6.0).</param>
    /// <param name="ppf2">Partial pathlength factor at the second wavelength.</param>
    /// <exception cref="ArgumentOutOfRangeException">A wavelength not in the table, or a distance/ppf that is not finite and positive.</exception>
    /// <exception cref="ArgumentException">Equal wavelengths.</exception>
    public static HaemoglobinMatrix LikeMne(int wavelength1Nm, int wavelength2Nm, double distanceM, double ppf1 = MneDefaultPpf, double ppf2 = MneDefaultPpf)
    {
        Guard.ThrowIfNotPositiveFinite(distanceM);
        Guard.ThrowIfNotPositiveFinite(ppf1);
        Guard.ThrowIfNotPositiveFinite(ppf2);
        return Inverse(wavelength1Nm, wavelength2Nm, MneAbsorptionFactor * distanceM * ppf1, MneAbsorptionFactor * distanceM * ppf2, 1e-3);
    }

    /// <summary>
    /// The exact modified Beer–Lambert law (as <see cref="BeerLambert.ToConcentrations"/>) for natural-log OD input:
    /// ΔOD₁₀ = OD / ln10 = (ε_HbO·ΔHbO + ε_HbR·ΔHbR)·d·DPF.
    /// </summary>
    /// <param name="wavelength1Nm">First wavelength; its OD is the first input.</param>
    /// <param name="wavelength2Nm">Second wavelength.</param>
    /// <param name="distanceCm">Source–detector distance in <b>cm</b>.</param>
    /// <param name="dpf1">Differential pathlength factor at the first wavelength.</param>
    /// <param name="dpf2">Differential pathlength factor at the second wavelength.</param>
    /// <exception cref="ArgumentOutOfRangeException">A wavelength not in the table, or a distance/DPF that is not finite and positive.</exception>
    /// <exception cref="ArgumentException">Equal wavelengths.</exception>
    public static HaemoglobinMatrix ModifiedBeerLambert(int wavelength1Nm, int wavelength2Nm, double distanceCm, double dpf1, double dpf2)
    {
        Guard.ThrowIfNotPositiveFinite(distanceCm);
        Guard.ThrowIfNotPositiveFinite(dpf1);
        Guard.ThrowIfNotPositiveFinite(dpf2);
        return Inverse(wavelength1Nm, wavelength2Nm, Math.Log(10.0) * distanceCm * dpf1, Math.Log(10.0) * distanceCm * dpf2, 1.0);
    }

    /// <summary>ΔHbO and ΔHbR (M) of one frame from the natural-log OD at the two wavelengths.</summary>
    public (double DeltaHbO, double DeltaHbR) Apply(double od1, double od2) =>
        ((HbOFromOd1 * od1) + (HbOFromOd2 * od2), (HbRFromOd1 * od1) + (HbRFromOd2 * od2));

    /// <summary>Applies the matrix sample by sample to two OD rows, writing ΔHbO and ΔHbR rows (M).</summary>
    /// <exception cref="ArgumentException">The four spans differ in length.</exception>
    public void Apply(ReadOnlySpan<double> od1, ReadOnlySpan<double> od2, Span<double> hbO, Span<double> hbR)
    {
        if (od2.Length != od1.Length || hbO.Length != od1.Length || hbR.Length != od1.Length)
        {
            throw new ArgumentException($"All four rows need the same length (got {od1.Length}, {od2.Length}, {hbO.Length}, {hbR.Length}).", nameof(hbR));
        }

        for (int i = 0; i < od1.Length; i++)
        {
            // Read both inputs first so that hbO/hbR may alias od1/od2 (in-place conversion, as MNE does).
            double a = od1[i], b = od2[i];
            hbO[i] = (HbOFromOd1 * a) + (HbOFromOd2 * b);
            hbR[i] = (HbRFromOd1 * a) + (HbRFromOd2 * b);
        }
    }

    // Inverse of diag(row scales)·E times an output scale, E = [[εO(λ1), εR(λ1)], [εO(λ2), εR(λ2)]].
    private static HaemoglobinMatrix Inverse(int wavelength1Nm, int wavelength2Nm, double rowScale1, double rowScale2, double outputScale)
    {
        (double eo1, double er1) = BeerLambert.Extinction(wavelength1Nm);
        (double eo2, double er2) = BeerLambert.Extinction(wavelength2Nm);
        if (wavelength1Nm == wavelength2Nm)
        {
            throw new ArgumentException($"the two wavelengths must differ (both {wavelength1Nm} nm)", nameof(wavelength2Nm));
        }

        double a = eo1 * rowScale1, b = er1 * rowScale1, c = eo2 * rowScale2, d = er2 * rowScale2;
        // Tabulated pairs are well conditioned (760/850: cond ≈ 3), so the closed-form inverse equals MNE's pinv to rounding.
        double det = (a * d) - (b * c);
        return new HaemoglobinMatrix(outputScale * d / det, -outputScale * b / det, -outputScale * c / det, outputScale * a / det);
    }
}
