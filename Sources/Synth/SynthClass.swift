/// The six classes of the default taxonomy, in recipe order.
enum SynthClass: String, CaseIterable, Sendable, Codable {
    case ct, mri, xray, ultrasound, histopathology, endoscopy

    /// Whether the modality is naturally colour (histology stains, endoscope video) rather than grayscale.
    var isColor: Bool { self == .histopathology || self == .endoscopy }

    /// Draws one image of this class at the given size with the figure's own generator.
    func paint(width: Int, height: Int, rng: inout SynthRandom) -> Raster {
        switch self {
        case .ct: return CTPainter.paint(width: width, height: height, rng: &rng)
        case .mri: return MRIPainter.paint(width: width, height: height, rng: &rng)
        case .xray: return XRayPainter.paint(width: width, height: height, rng: &rng)
        case .ultrasound: return UltrasoundPainter.paint(width: width, height: height, rng: &rng)
        case .histopathology: return HistologyPainter.paint(width: width, height: height, rng: &rng)
        case .endoscopy: return EndoscopyPainter.paint(width: width, height: height, rng: &rng)
        }
    }

    /// Typical aspect ratio (width / height) range of the modality's images.
    var aspect: ClosedRange<Double> {
        switch self {
        case .xray: return 0.72...0.9
        case .histopathology: return 1.0...1.45
        case .endoscopy: return 1.0...1.3
        case .ultrasound: return 1.0...1.4
        case .ct, .mri: return 0.9...1.15
        }
    }
}
