package labs.sandwich.puck.api;

/**
 * What a runtime can do. A runtime declares its capabilities, and an operation it lacks
 * throws {@link UnsupportedCapabilityException}: never a silent no-op.
 */
public enum Capability {
    /** Run commands in a sprite. */
    EXEC("run commands in a sprite"),
    /** Open an interactive console (a PTY). */
    CONSOLE("open an interactive console"),
    /** Copy files into and out of a sprite. */
    FILES("copy files into and out of a sprite"),
    /** Freeze a sprite in place, keeping its memory. */
    PAUSE("pause a sprite"),
    /** Checkpoint a sprite's memory to disk and free its RAM. */
    HIBERNATE("hibernate a sprite with its memory"),
    /** Export a hibernated sprite's checkpoint and free everything else the runtime holds for it. */
    ARCHIVE("archive a hibernated sprite"),
    /** Take snapshots (memory and disk) and restore them. */
    SNAPSHOT("take and restore snapshots"),
    /** Start a new sprite from another sprite's snapshot. */
    FORK("fork a snapshot into a new sprite"),
    /** Make a port of a sprite reachable at a URL. */
    EXPOSE("expose a sprite's port"),
    /** Keep open TCP connections across hibernation. */
    KEEP_TCP_CONNECTIONS("keep open TCP connections across hibernation"),
    /**
     * Sprites resolve each other as {@code <name>.internal} (the engine's hosts file is their
     * {@code /etc/hosts}), and a connection to a sleeping one wakes it.
     */
    INTERNAL_NAMES("reach other sprites as <name>.internal"),
    /** Build an image from a directory holding a Containerfile (or Dockerfile). */
    BUILD_IMAGES("build images from a Containerfile");

    private final String description;

    Capability(String description) {
        this.description = description;
    }

    /** @return what this capability lets a caller do, as a verb phrase */
    public String description() {
        return description;
    }
}
