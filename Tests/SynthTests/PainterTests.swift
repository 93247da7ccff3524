import Foundation
import Testing
@testable import Synth

/// Each class has the structure its painter promises (checked on small renders).
@Suite struct PainterTests {
    private func stats(_ r: Raster) -> (corner: Float, centre: Float, redMinusBlue: Float) {
        let w = r.width, h = r.height, ch = r.channels
        func luma(_ x: Int, _ y: Int) -> Float {
            let i = (y * w + x) * ch
            return ch == 1 ? r.data[i] : (r.data[i] + r.data[i + 1] + r.data[i + 2]) / 3
        }
        var corner: Float = 0, centre: Float = 0, rb: Float = 0
        let k = max(2, w / 16)
        for y in 0..<k {
            for x in 0..<k {
                corner += luma(x, y) + luma(w - 1 - x, y) + luma(x, h - 1 - y) + luma(w - 1 - x, h - 1 - y)
            }
        }
        corner /= Float(4 * k * k)
        for y in (h / 2 - k)..<(h / 2 + k) { for x in (w / 2 - k)..<(w / 2 + k) { centre += luma(x, y) } }
        centre /= Float(4 * k * k)
        if ch == 3 { for i in 0..<(w * h) { rb += r.data[3 * i] - r.data[3 * i + 2] }; rb /= Float(w * h) }
        return (corner, centre, rb)
    }

    @Test func classStructure() {
        for cls in SynthClass.allCases {
            for k in 0..<6 {
                var rng = SynthRandom(seed: 21, domain: "test.paint", id: "\(cls)-\(k)")
                let r = cls.paint(width: 160, height: 160, rng: &rng)
                let s = stats(r)
                switch cls {
                case .histopathology:
                    #expect(r.channels == 3)
                    #expect(s.corner > 120, "stained tissue fills the frame")
                    #expect(s.redMinusBlue > -10)
                case .endoscopy:
                    #expect(r.channels == 3)
                    #expect(s.corner < 15, "black outside the circular field")
                    #expect(s.redMinusBlue > 30, "reddish mucosa")
                case .ct, .mri:
                    #expect(r.channels == 1)
                    #expect(s.corner < 60, "dark background around the body")
                    #expect(s.centre > s.corner + 20)
                case .ultrasound:
                    #expect(s.corner < 40, "black outside the sector")
                case .xray:
                    #expect(r.channels == 1)
                }
            }
        }
    }

    @Test func hardeningChangesPixelsButNotSize() {
        for t in Hardening.allCases {
            var rng = SynthRandom(seed: 4, domain: "test.hard", id: t.rawValue)
            let before = SynthClass.ct.paint(width: 120, height: 100, rng: &rng)
            var after = before
            t.apply(to: &after, rng: &rng)
            #expect(after.width == 120 && after.height == 100)
            #expect(after.data != before.data)
        }
    }

    @Test func resizeKeepsMeanAndCropKeepsPixels() {
        var r = Raster(width: 64, height: 48, channels: 1)
        for i in 0..<r.data.count { r.data[i] = Float(i % 64) * 4 }
        let small = Geometry.resize(r, width: 32, height: 24)
        let m1 = r.data.reduce(0, +) / Float(r.data.count), m2 = small.data.reduce(0, +) / Float(small.data.count)
        #expect(abs(m1 - m2) < 2)
        let c = Geometry.crop(r, x: 10, y: 5, width: 20, height: 10)
        #expect(c.width == 20 && c.height == 10 && c.data[0] == r.data[5 * 64 + 10])
    }

    @Test func tiffHazardHasAValidHeader() {
        let t = Hazards.tiff(Pixels(data: [UInt8](repeating: 7, count: 12), width: 4, height: 3, channels: 1))
        #expect(Array(t.prefix(4)) == [0x49, 0x49, 0x2A, 0x00])
        #expect(t.count == 8 + 2 + 9 * 12 + 4 + 12)
        #expect(Array(t.suffix(12)) == [UInt8](repeating: 7, count: 12))
    }
}
