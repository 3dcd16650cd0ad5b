package dev.mmu.interp.cli;

import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.DiagnosticPrinter;
import dev.mmu.interp.fmt.AstShape;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.interp.parse.SourceParser;
import dev.mmu.interp.run.ScenarioFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `mmu fmt [--check] PATH...`: rewrite files in canonical form, or (for CI) name those that are not.
 * What it wrote is said on stderr, a line a file rewritten and a count of the files left as they
 * were, as black and ruff say it: a user who ran it to see the canonical form learns that the file
 * changed (trial18: it was rewritten without a word). stdout stays --check's list, which scripts read.
 */
@Command(name = "fmt", description = {"Format .mmu files canonically, in place (comments kept).",
        "Each file rewritten is named on stderr (\"mmu fmt: reformatted FILE\"), then how many were already "
        + "formatted. With --check nothing is written: the files that would change are listed on stdout, "
        + "exit 1 if any."})
final class FmtCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".mmu files or directories to search")
    List<Path> paths;

    @Option(names = "--check", description = "write nothing; list the files that would change on stdout and exit 1 if any")
    boolean check;

    /** Files already in canonical form, counted for the last line. */
    private int unchanged;

    @Override
    public Integer call() throws IOException {
        List<Path> files;
        try {
            files = ScenarioFiles.find(paths);
        } catch (IOException e) {
            System.err.println("mmu: " + e.getMessage());
            return ExitCode.BAD_INPUT;
        }
        if (files.isEmpty()) {
            System.err.println("mmu: no .mmu files under " + paths);
            return ExitCode.BAD_INPUT;
        }
        int worst = ExitCode.PASS;
        for (Path file : files) {
            worst = Math.max(worst, format(file));
        }
        if (!check && unchanged > 0) {
            System.err.println("mmu fmt: " + unchanged + (unchanged == 1 ? " file" : " files") + " already formatted");
        }
        return worst;
    }

    private int format(Path file) throws IOException {
        String name = file.toString();
        String raw;
        try {
            raw = Frontend.read(file);
        } catch (IOException e) {
            System.err.println("mmu: cannot read " + name + ": " + e.getMessage());
            return ExitCode.BAD_INPUT;
        }
        String text = SourceParser.normalize(raw); // the canonical form has \n line breaks and no BOM
        dev.mmu.interp.diag.Diagnostics diagnostics = new dev.mmu.interp.diag.Diagnostics();
        Optional<SourceFile> ast = SourceParser.parse(name, text, diagnostics);
        if (ast.isEmpty() || diagnostics.hasErrors()) {
            DiagnosticPrinter printer = new DiagnosticPrinter(Map.of(name, text), Terminal.diagnosticColumns());
            for (Diagnostic d : diagnostics.sorted()) {
                System.err.print(printer.render(d));
            }
            return ExitCode.BAD_INPUT;
        }
        String formatted = Formatter.format(ast.get(), text);
        Optional<SourceFile> again = SourceParser.parse(name, formatted, new dev.mmu.interp.diag.Diagnostics());
        if (again.isEmpty() || !AstShape.of(again.get()).equals(AstShape.of(ast.get()))) {
            throw new IllegalStateException("formatting " + name + " would change its meaning");
        }
        if (formatted.equals(raw)) {
            unchanged++;
            return ExitCode.PASS;
        }
        if (check) {
            System.out.println(name);
            return ExitCode.FAIL;
        }
        // Write beside the file, then rename over it: a reader never sees half a file.
        // Through a symlink to the real file, keeping its permissions.
        Path target = file.toRealPath();
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.writeString(temp, formatted, StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
            } catch (UnsupportedOperationException notPosix) {
                // the temporary file keeps the default permissions
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        System.err.println("mmu fmt: reformatted " + name);
        return ExitCode.PASS;
    }
}
