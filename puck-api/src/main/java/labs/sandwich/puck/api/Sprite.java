package labs.sandwich.puck.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A live handle on one sprite: a durable Linux computer that sleeps when idle and wakes on
 * demand with its processes, memory and files intact.
 *
 * <p>All methods block until the operation is done, with the default timeout of the
 * {@code Puck} that made the handle unless an overload takes one; they throw
 * {@link OperationTimeoutException} past it. Any operation that needs the sprite awake
 * (exec, files, console, snapshot) wakes a sleeping sprite first, transparently.
 * Handles are thread-safe and cheap; two handles on the same name act on the same sprite.
 * Every failure is a {@link PuckException}; the common ones are listed per method.
 */
public interface Sprite {
    /** @return the sprite's name */
    String name();

    /** @return its current state, as recorded by Puck (no call to the runtime) */
    SpriteState state();

    /**
     * @return a fresh view of the sprite, checked against the runtime
     * @throws SpriteNotFoundException if it no longer exists
     */
    SpriteInfo inspect();

    /**
     * Runs a command and waits for it.
     *
     * @param argv the program and its arguments (never a shell string)
     * @return the result; a non-zero exit is a result, see {@link ExecResult#orThrow()}
     * @throws InvalidSpecException if {@code argv} is empty
     * @throws OperationTimeoutException after {@link ExecRequest#DEFAULT_TIMEOUT}
     */
    ExecResult exec(String... argv);

    /**
     * Runs a command described in full (environment, directory, user, stdin, timeout).
     *
     * @param request the command
     * @return the result
     * @throws OperationTimeoutException after the request's timeout; the command is killed
     */
    ExecResult exec(ExecRequest request);

    /**
     * Opens an interactive console running a login shell.
     *
     * @return the console; close it to end the session
     * @throws UnsupportedCapabilityException if the runtime has no {@link Capability#CONSOLE}
     */
    Console console();

    /**
     * Opens an interactive console.
     *
     * @param request the program and the terminal size
     * @return the console; close it to end the session
     */
    Console console(ConsoleRequest request);

    /**
     * Writes a file in the sprite, creating parent directories, replacing what was there.
     *
     * @param path    absolute path in the sprite
     * @param content the bytes
     */
    void writeFile(String path, byte[] content);

    /**
     * @param path absolute path in the sprite
     * @return the file's bytes
     * @throws PuckException if there is no such file
     */
    byte[] readFile(String path);

    /**
     * Copies a file from this machine into the sprite, streaming.
     *
     * @param source a regular file on this machine
     * @param path   absolute destination path in the sprite
     */
    void copyIn(Path source, String path);

    /**
     * Copies a file from the sprite to this machine, streaming.
     *
     * @param path   absolute path of a regular file in the sprite
     * @param target destination on this machine; replaced if it exists
     */
    void copyOut(String path, Path target);

    /**
     * Freezes the sprite in place: memory kept, no process runs, waking takes milliseconds.
     *
     * @throws UnsupportedCapabilityException without {@link Capability#PAUSE}
     * @throws IllegalSpriteStateException unless it is running (pausing a paused sprite is a no-op)
     */
    void pause();

    /**
     * Checkpoints the sprite's memory to disk and frees its RAM; a paused sprite is resumed first.
     * Hibernating a hibernated sprite is a no-op.
     *
     * @throws UnsupportedCapabilityException without {@link Capability#HIBERNATE}
     */
    void hibernate();

    /**
     * As {@link #hibernate()}, with a timeout.
     *
     * @param timeout how long to wait
     */
    void hibernate(Duration timeout);

    /**
     * Wakes a paused or hibernated sprite and waits until it is ready (its spec's readiness).
     * Waking a running sprite is a no-op. Concurrent wakes cause one restore.
     */
    void wake();

    /**
     * As {@link #wake()}, with a timeout.
     *
     * @param timeout how long to wait
     */
    void wake(Duration timeout);

    /**
     * Takes a snapshot of memory, file system and volumes; the sprite keeps running.
     *
     * @param label a label, e.g. {@code before-upgrade}
     * @return the snapshot
     * @throws UnsupportedCapabilityException without {@link Capability#SNAPSHOT}
     */
    Snapshot snapshot(String label);

    /** @return this sprite's snapshots, oldest first */
    List<Snapshot> snapshots();

    /**
     * Puts the sprite back to a snapshot: memory, file system and volumes as they were.
     * The snapshot's checksum is verified first.
     *
     * @param snapshot one of this sprite's snapshots
     * @throws SnapshotCorruptedException if its contents fail the checksum; the sprite is untouched
     */
    void restore(Snapshot snapshot);

    /**
     * Takes a snapshot this sprite can be {@linkplain #reset(Snapshot) reset} to quickly and
     * many times, e.g. a test fixture's seeded state. Where the runtime can, it keeps what a
     * reset needs beside the snapshot (on Podman: the checkpoint's memory images and a copy of
     * the sprite's files, so a reset restores in place instead of importing an archive); the
     * sprite's processes stop for the moment of the checkpoint and continue. Elsewhere it is
     * {@link #snapshot(String)}. The snapshot also serves {@link #restore} and {@link #fork}.
     *
     * @param label a label, e.g. {@code seeded}
     * @return the snapshot
     * @throws UnsupportedCapabilityException without {@link Capability#SNAPSHOT}
     */
    default Snapshot snapshotForReset(String label) {
        return snapshot(label);
    }

    /**
     * Puts the sprite back to a snapshot, discarding its current state: memory, file system and
     * volumes as they were when the snapshot was taken. Unlike {@link #restore(Snapshot)}, the
     * current state is not saved first, so there is nothing to roll back to if the snapshot
     * cannot be restored (the sprite is then restored from the snapshot's archive, as
     * {@code restore} would). Fast when the snapshot came from {@link #snapshotForReset(String)}
     * of this sprite; otherwise as {@code restore}.
     *
     * @param snapshot one of this sprite's snapshots
     * @throws SnapshotCorruptedException if the snapshot's data fails its checks; the sprite is untouched
     */
    default void reset(Snapshot snapshot) {
        restore(snapshot);
    }

    /**
     * Starts a new sprite from a snapshot of this one; it runs beside this one with its own state.
     *
     * @param snapshot one of this sprite's snapshots
     * @param newName  the new sprite's name
     * @return the new sprite, running
     * @throws SpriteAlreadyExistsException if the name is taken
     */
    Sprite fork(Snapshot snapshot, String newName);

    /**
     * Makes a port reachable from this machine only.
     *
     * @param port a port the sprite serves on
     * @return the exposure; close it to withdraw the URL
     */
    Exposure expose(int port);

    /**
     * Makes a port reachable to the given audience.
     *
     * @param port a port the sprite serves on
     * @param mode who may reach it
     * @return the exposure; close it to withdraw the URL
     * @throws UnsupportedCapabilityException if no configured ingress offers {@code mode}
     */
    Exposure expose(int port, ExposureMode mode);

    /**
     * Makes a port reachable as raw TCP (SSH, a database) on this machine's loopback address,
     * on a free host port; {@link Exposure#url()} says which ({@code tcp://127.0.0.1:40022}).
     * Same as {@code exposeTcp(port, 0, ExposureMode.LOCAL)}.
     *
     * @param port a port the sprite serves on
     * @return the exposure; close it to withdraw the host port
     */
    Exposure exposeTcp(int port);

    /**
     * Makes a port reachable as raw TCP on a host port. A connection to it while the sprite
     * sleeps wakes it (once, however many connect) and is then passed through, bytes intact
     * both ways; a sprite that cannot wake, or does not listen on {@code port}, has the
     * connection closed at once, with the reason in the log and the sprite's journal. The
     * exposure is recorded in the store: whichever process watches the store ({@code puckd}, or
     * a {@code Puck} with {@code monitorIdle(true)}) listens again after a restart. Blocks for a
     * few milliseconds; thread-safe.
     *
     * @param port     a port the sprite serves on
     * @param hostPort the host port, or 0 for any free one
     * @param mode     {@link ExposureMode#LOCAL}: {@code 127.0.0.1} only, this machine alone can
     *                 connect; {@link ExposureMode#PUBLIC}: every address of this machine, so
     *                 anyone who can reach it (the internet, if it is reachable from there)
     * @return the exposure; close it to withdraw the host port
     * @throws HostPortInUseException         if something else listens on that host port
     * @throws UnsupportedCapabilityException for {@link ExposureMode#TAILNET} (use a Tailscale
     *                                        ingress)
     * @throws InvalidSpecException           if a port is out of range
     */
    Exposure exposeTcp(int port, int hostPort, ExposureMode mode);

    /** Deletes the sprite, keeping its volumes and snapshots ({@link DeletePolicy#KEEP_VOLUMES}). */
    void delete();

    /**
     * Deletes the sprite.
     *
     * @param policy what to remove with it
     */
    void delete(DeletePolicy policy);

    /**
     * Deletes one of the sprite's snapshots and its data.
     *
     * @param snapshot one of {@link #snapshots()}
     * @throws SnapshotNotFoundException if it is not one of them
     */
    void deleteSnapshot(Snapshot snapshot);

    /**
     * @param limit at most this many, {@code >= 0}
     * @return the sprite's journaled state changes, newest first, from every process using the store
     */
    List<Change> history(int limit);

    /**
     * Archives the sprite ({@link Capability#ARCHIVE}): hibernates it if it is awake, then
     * exports its checkpoint and frees everything else the runtime holds for it but its
     * volumes. {@link #wake()} (or any operation) brings it back, more slowly than from
     * hibernation. The idle monitor does this by itself after {@link SleepPolicy#archiveAfter()}.
     *
     * @throws UnsupportedCapabilityException if the runtime cannot archive
     */
    void archive();

    /**
     * Keeps the sprite awake: while the lease is held and not expired, the idle monitor does
     * not put it to sleep. Wakes the sprite first if it sleeps. The lease is kept in the state
     * store, so the daemon and every other process see it.
     *
     * @param reason   what it is for, shown by {@link #why()}; not blank
     * @param duration how long at most; positive, up to a year
     * @return the lease; close it to release it early
     * @throws InvalidSpecException if the reason is blank or the duration out of range
     */
    KeepAlive keepAlive(String reason, java.time.Duration duration);

    /**
     * Explains the sprite's state: what put it there, what keeps it awake, and when it will
     * sleep by itself.
     *
     * @return the explanation; its {@code toString()} reads as text
     */
    Why why();
}
