package dev.mmu.interp.junit;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioFiles;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.ReflectionSupport;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.engine.discovery.DirectorySelector;
import org.junit.platform.engine.discovery.FileSelector;
import org.junit.platform.engine.discovery.UniqueIdSelector;
import org.junit.platform.engine.support.descriptor.ClassSource;

/**
 * Turns selectors into descriptors: a trigger class annotated {@link MmuScenarios} (its files go
 * under a container for the class), a directory, a .mmu file, or a unique id (a file or one
 * scenario of it, with or without the trigger class). Each file is loaded once per parent.
 */
final class Discovery {
    private final TestDescriptor engine;
    /** Trigger class (null: none) → file key → names of the scenarios asked for (null = all). */
    private final Map<Class<?>, Map<String, Set<String>>> wanted = new LinkedHashMap<>();
    /**
     * {@code mmu.naming-strategy}: {@code long} (default) names a test "FILE > SCENARIO", so reports
     * that show only test names (Surefire's XML, CI pages) tell same-named scenarios apart;
     * {@code short} names it by the scenario alone, as Cucumber's strategies do.
     */
    static final String NAMING = "mmu.naming-strategy";
    private boolean longNames = true;
    /** Trigger class (null: none) → what it selected that holds no .mmu file → why. */
    private final Map<Class<?>, Map<String, String>> empty = new LinkedHashMap<>();

    Discovery(TestDescriptor engine) {
        this.engine = engine;
    }

    void resolve(EngineDiscoveryRequest request) {
        longNames = !request.getConfigurationParameters().get(NAMING).map("short"::equals).orElse(false);
        for (ClassSelector s : request.getSelectorsByType(ClassSelector.class)) fromClass(s);
        for (DirectorySelector s : request.getSelectorsByType(DirectorySelector.class)) {
            // Only a missing folder is an error here: other engines may be given the same directories.
            if (Files.exists(s.getPath())) fromPath(null, s.getPath());
            else emptySelection(null, s.getRawPath(), "no such folder: " + s.getPath().toAbsolutePath());
        }
        for (FileSelector s : request.getSelectorsByType(FileSelector.class)) {
            if (s.getRawPath().endsWith(".mmu")) want(null, s.getPath(), null);
        }
        for (UniqueIdSelector s : request.getSelectorsByType(UniqueIdSelector.class)) fromUniqueId(s.getUniqueId());
        for (var group : wanted.entrySet()) {
            TestDescriptor parent = engine;
            if (group.getKey() != null) {
                parent = new TriggerDescriptor(engine.getUniqueId().append(TriggerDescriptor.SEGMENT,
                        group.getKey().getName()), group.getKey());
                engine.addChild(parent);
            }
            for (var file : group.getValue().entrySet()) build(parent, file.getKey(), file.getValue());
            TestDescriptor p = parent;
            TestSource source = group.getKey() == null ? null : ClassSource.from(group.getKey());
            empty.getOrDefault(group.getKey(), Map.of()).forEach((what, why) ->
                    p.addChild(new EmptySelectionDescriptor(p.getUniqueId(), what, why, source)));
        }
    }

    private void fromClass(ClassSelector s) {
        Class<?> c;
        try {
            c = s.getJavaClass();
        } catch (RuntimeException | LinkageError notLoadable) {
            return; // another engine's business
        }
        Optional<MmuScenarios> a = AnnotationSupport.findAnnotation(c, MmuScenarios.class);
        if (a.isEmpty()) return;
        wanted.computeIfAbsent(c, k -> new LinkedHashMap<>());
        for (String folder : a.get().value()) {
            Path p = Path.of(folder);
            int before = wanted.get(c).size();
            if (!Files.exists(p)) {
                emptySelection(c, folder, "@MmuScenarios(\"" + folder + "\") on " + c.getName()
                        + " names no such file or folder: " + p.toAbsolutePath());
            } else {
                fromPath(c, p);
                if (wanted.get(c).size() == before) {
                    emptySelection(c, folder, "@MmuScenarios(\"" + folder + "\") on " + c.getName()
                            + " finds no .mmu file under " + p.toAbsolutePath());
                }
            }
        }
    }

    private void emptySelection(Class<?> trigger, String what, String why) {
        wanted.computeIfAbsent(trigger, k -> new LinkedHashMap<>());
        empty.computeIfAbsent(trigger, k -> new LinkedHashMap<>()).put(what, why);
    }

    private void fromPath(Class<?> trigger, Path p) {
        if (!Files.exists(p)) return;
        try {
            for (Path f : ScenarioFiles.find(List.of(p))) want(trigger, f, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void fromUniqueId(UniqueId id) {
        if (!id.hasPrefix(engine.getUniqueId())) return;
        List<UniqueId.Segment> segs = id.getSegments();
        int i = 1;
        Class<?> trigger = null;
        if (segs.size() > i && segs.get(i).getType().equals(TriggerDescriptor.SEGMENT)) {
            trigger = ReflectionSupport.tryToLoadClass(segs.get(i).getValue()).toOptional().orElse(null);
            if (trigger == null) return;
            i++;
        }
        if (segs.size() <= i) {
            if (trigger != null) fromClass(org.junit.platform.engine.discovery.DiscoverySelectors.selectClass(trigger));
            return;
        }
        if (!segs.get(i).getType().equals(FileDescriptor.SEGMENT)) return;
        Path file = Path.of(segs.get(i).getValue());
        if (!Files.isRegularFile(file)) return;
        boolean one = segs.size() > i + 1 && segs.get(i + 1).getType().equals(ScenarioDescriptor.SEGMENT);
        want(trigger, file, one ? segs.get(i + 1).getValue() : null);
    }

    /** Adds a file, or one scenario of it; asking for the whole file wins over single scenarios. */
    private void want(Class<?> trigger, Path file, String scenario) {
        Map<String, Set<String>> files = wanted.computeIfAbsent(trigger, k -> new LinkedHashMap<>());
        String key = key(file);
        if (files.containsKey(key) && files.get(key) == null) return;
        if (scenario == null) {
            files.put(key, null);
        } else {
            files.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(scenario);
        }
    }

    /** The file relative to the working directory when it is below it, with '/' separators. */
    static String key(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path cwd = Path.of("").toAbsolutePath();
        Path shown = abs.startsWith(cwd) ? cwd.relativize(abs) : abs;
        return shown.toString().replace('\\', '/');
    }

    private void build(TestDescriptor parent, String key, Set<String> only) {
        Path file = Path.of(key);
        UniqueId fileId = parent.getUniqueId().append(FileDescriptor.SEGMENT, key);
        FileDescriptor fd = new FileDescriptor(fileId, file, key);
        Loaded loaded = ScenarioLoader.load(file);
        if (loaded.hasErrors()) {
            Diagnostic first = loaded.diagnostics().stream().filter(Diagnostic::isError).findFirst().orElse(null);
            String diagnostics = ScenarioRunner.render(loaded);
            List<Set<TestTag>> tagSets = BrokenFileDescriptor.tagSets(file);
            for (int i = 0; i < tagSets.size(); i++) {
                Set<TestTag> tags = tagSets.get(i);
                String also = tagSets.size() == 1 ? "" : tags.isEmpty() ? " (its untagged scenarios)"
                        : " (its scenarios tagged " + tags.stream().map(t -> "@" + t.getName()).sorted()
                                .collect(java.util.stream.Collectors.joining(" ")) + ")";
                fd.addChild(new BrokenFileDescriptor(fileId.append(BrokenFileDescriptor.SEGMENT, "compile" + (i == 0 ? "" : "-" + i)),
                        name(key, "does not compile" + also), file, first, diagnostics, tags));
            }
        }
        for (CompiledScenario sc : loaded.scenarios()) {
            if (only != null && !only.contains(sc.name())) continue;
            fd.addChild(new ScenarioDescriptor(fileId.append(ScenarioDescriptor.SEGMENT, sc.name()),
                    name(key, sc.name()), file, sc));
        }
        parent.addChild(fd);
    }

    private String name(String fileKey, String test) {
        return longNames ? fileKey + " > " + test : test;
    }
}
