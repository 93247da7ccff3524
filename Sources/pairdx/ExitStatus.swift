import ArgumentParser
import Foundation
import Imaging
import PairDxCore
import Training

/// The one rule from an error to the process's exit code (README "Exit codes"), applied to every error that ends
/// a subcommand:
///
/// - 64 usage: an unknown option, a missing argument, a value an option does not take (ArgumentParser's parse and
///   validation errors, `PairDxError.usage`);
/// - 65 bad input data: a file that was read but is malformed (JSON that does not decode, a recipe that fails its
///   checks, a split file with an invalid field, an image or archive that does not decode);
/// - 74 I/O: a file that cannot be read or written — **a missing input file is 74**, whether named on the command
///   line or expected in the work directory — and a network failure that stopped the command;
/// - 1: a check or gate failed (`PairDxError.checkFailed`); 0: success, `--help` and `--version`.
///
/// An error of no known kind is reported as an I/O failure (74), never as 1, which belongs to checks.
enum ExitStatus {
    enum Outcome {
        /// ArgumentParser's own: help, version (0) or a usage error (64), printed with the usage text.
        case parser
        case failure(PairDxError)
    }

    static func classify(_ error: Error) -> Outcome {
        if let e = error as? PairDxError { return .failure(e) }
        // A PairDxError thrown from a `validate()` arrives wrapped in ArgumentParser's error.
        if let inner = wrapped(error) { return .failure(inner) }
        switch PairDX.exitCode(for: error) {
        case .success, .validationFailure: return .parser
        default: break
        }
        if let code = error as? ExitCode {
            return .failure(PairDxError(code.rawValue == 1 ? .checkFailed : .io, "exit \(code.rawValue)"))
        }
        switch error {
        case let e as CocoaError:
            let corrupt: [CocoaError.Code] = [
                .fileReadCorruptFile, .fileReadInapplicableStringEncoding, .coderReadCorrupt,
                .coderValueNotFound, .propertyListReadCorrupt
            ]
            return .failure(PairDxError(corrupt.contains(e.code) ? .badInput : .io, e.localizedDescription))
        case let e as POSIXError:
            return .failure(.io(e.localizedDescription))
        case let e as DecodingError:
            return .failure(.badInput("malformed input: \(e)"))
        case let e as ImagingError:
            return .failure(PairDxError(e.kind == .unreadable ? .io : .badInput, e.reason))
        case let e as Gzip.FormatError:
            return .failure(.badInput(e.description))
        default:
            return .failure(.io(String(describing: error)))
        }
    }

    /// The PairDxError inside an ArgumentParser wrapper (`CommandError.userValidationError`), if any.
    static func wrapped(_ error: Error, depth: Int = 0) -> PairDxError? {
        guard depth < 4 else { return nil }
        for child in Mirror(reflecting: error).children {
            if let e = child.value as? PairDxError { return e }
            if let e = child.value as? Error, let inner = wrapped(e, depth: depth + 1) { return inner }
            if let inner = wrapped(child.value, depth: depth + 1) { return inner }
        }
        return nil
    }

    static func wrapped(_ value: Any, depth: Int) -> PairDxError? {
        guard depth < 4 else { return nil }
        for child in Mirror(reflecting: value).children {
            if let e = child.value as? PairDxError { return e }
            if let inner = wrapped(child.value, depth: depth + 1) { return inner }
        }
        return nil
    }

    /// Reports `error` on stderr and exits with its code.
    static func exit(with error: Error) -> Never {
        switch classify(error) {
        case .parser:
            PairDX.exit(withError: error)
        case .failure(let e):
            Log.write("pairdx: \(e.message)")
            Foundation.exit(e.exitCode)
        }
    }
}
