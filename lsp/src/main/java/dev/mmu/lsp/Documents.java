package dev.mmu.lsp;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The open documents' text, by URI, as the client last sent it (full sync). */
final class Documents {

    private final Map<String, String> texts = new ConcurrentHashMap<>();

    void put(String uri, String text) {
        texts.put(uri, text);
    }

    void remove(String uri) {
        texts.remove(uri);
    }

    /** The open documents' files (file URIs only). */
    java.util.List<Path> files() {
        return texts.keySet().stream().filter(u -> u.startsWith("file:")).map(u -> Path.of(fileName(u))).toList();
    }

    Optional<String> text(String uri) {
        return Optional.ofNullable(texts.get(uri));
    }

    /**
     * The file name the front end gets for a URI: the file's path, so that imports resolve
     * against its folder as they do on the command line.
     */
    static String fileName(String uri) {
        try {
            URI parsed = URI.create(uri);
            if ("file".equals(parsed.getScheme())) {
                return Path.of(parsed).toString();
            }
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            // not a file URI: fall through to the URI itself
        }
        return uri;
    }
}
