package dev.mmu.runtime.explore;

/** Receives progress at most about ten times a second, on the exploring thread. */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = p -> { };

    void onProgress(Progress progress);
}
