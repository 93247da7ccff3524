import Testing
@testable import Curation
