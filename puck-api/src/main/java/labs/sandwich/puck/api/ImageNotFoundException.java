package labs.sandwich.puck.api;

/** The image a sprite should start from is not present in the runtime; nothing was created. */
public final class ImageNotFoundException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-IMAGE-001";

    private final ImageRef image;

    /**
     * @param image  the missing image
     * @param remedy how to get it, specific to the runtime
     */
    public ImageNotFoundException(ImageRef image, String remedy) {
        super(CODE, "The image '" + image + "' is not present in the runtime.", remedy, null, null);
        this.image = image;
    }

    /** @return the image that is missing */
    public ImageRef image() {
        return image;
    }
}
