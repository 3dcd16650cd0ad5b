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

    /**
     * The open documents' files, each with its URI as the client spells it (which may not be
     * {@code Path.toUri}'s: an escaped letter, a drive's colon); file URIs only.
     */
    Map<Path, String> files() {
        Map<Path, String> out = new java.util.LinkedHashMap<>();
        for (String u : texts.keySet()) {
            if (!u.startsWith("file:")) continue;
            try {
                out.put(Path.of(fileName(u)).toAbsolutePath().normalize(), u);
            } catch (java.nio.file.InvalidPathException e) {
                // a URI no path holds: not a file another one can import
            }
        }
        return out;
    }

    /** An open document's text by its file, however the client spells its URI. */
    Optional<String> text(Path file) {
        String uri = files().get(file.toAbsolutePath().normalize());
        return text(uri != null ? uri : file.toUri().toString());
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
