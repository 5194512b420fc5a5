/// `|got - want| <= absolute + relative * scale`, where `scale` defaults to `|want|`.
func isClose(_ got: Float, _ want: Double, absolute: Double = 1e-6, relative: Double = 1e-5, scale: Double? = nil) -> Bool {
    abs(Double(got) - want) <= absolute + relative * (scale ?? abs(want))
}
