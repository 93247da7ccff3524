import Testing
@testable import Synth
