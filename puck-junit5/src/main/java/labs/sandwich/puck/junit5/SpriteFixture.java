package labs.sandwich.puck.junit5;

import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;

/**
 * Seeds a sprite once, so that tests start from its state: install packages, start a database
 * and load data. The extension then snapshots the sprite and restores that snapshot before each
 * test (see {@link SpriteInstance}). Implementations need a public or package-private no-argument
 * constructor; one instance seeds one sprite.
 *
 * <p>Processes the tests need must belong to the sprite's init to be in the snapshot: start them
 * through a shell that exits at once ({@code sh -c "nohup server >/dev/null 2>&1 &"}), not as a
 * detached exec. On hosts without CAP_SYS_RESOURCE, only root's processes can be checkpointed
 * (docs/podman.md).
 */
@FunctionalInterface
public interface SpriteFixture {
    /**
     * Seeds the sprite; runs once, before its snapshot is taken. A failure fails the tests that
     * use the sprite, with the fixture's name and the cause, and the sprite is deleted.
     *
     * @param sprite the new, running sprite
     * @throws Exception anything: it is reported as the fixture's failure
     */
    void seed(Sprite sprite) throws Exception;

    /**
     * Adjusts the spec the sprite is created with (an image with the software installed, a
     * memory limit, environment), before it is created. The default returns it unchanged.
     *
     * @param puck the session's Puck, e.g. to {@link Puck#buildImage build the image} first
     * @param spec the spec the extension made: its name, labels and the annotation's image
     * @return the spec to create the sprite with; its name and labels must be kept
     * @throws Exception anything: it is reported as the fixture's failure
     */
    default SpriteSpec spec(Puck puck, SpriteSpec spec) throws Exception {
        return spec;
    }

    /** No fixture: the sprite starts from its image. */
    final class None implements SpriteFixture {
        /** Used as the annotation's default only. */
        public None() {}

        @Override
        public void seed(Sprite sprite) {
            // nothing to seed
        }
    }
}
