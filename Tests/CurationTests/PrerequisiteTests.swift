import Foundation
import PairDxTestSupport
import Testing

/// A missing prerequisite is a skip with its reason, except under CI=true when .ci/run installs it: then the test
/// runs and fails. (Sets CI in the process environment; tests run one at a time.)
@Suite(.serialized) struct PrerequisiteTests {
    @Test func missingIsASkipLocallyAndAFailureInCIWhenCIInstallsIt() throws {
        let saved = ProcessInfo.processInfo.environment["CI"]
        defer { if let saved { setenv("CI", saved, 1) } else { unsetenv("CI") } }
        let installed = Prerequisite(name: "a tool", value: nil, missing: "a tool is absent", installedByCI: true)
        let optional = Prerequisite(
            name: "a data folder", value: nil, missing: "a data folder is absent", installedByCI: false)
        unsetenv("CI")
        #expect(!installed.shouldRun && !optional.shouldRun)
        setenv("CI", "true", 1)
        #expect(installed.shouldRun && !optional.shouldRun)
        #expect { try installed.require() } throws: {
            "\($0)".contains("CI=true and .ci/run installs it") && "\($0)".contains("a tool is absent")
        }
        let present = Prerequisite(name: "python", value: "/usr/bin/python3", missing: nil, installedByCI: true)
        #expect(present.shouldRun)
        #expect(try present.require() == "/usr/bin/python3")
    }
}
