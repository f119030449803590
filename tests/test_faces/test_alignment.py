import cv2
import numpy as np
import pytest

from qcdet.faces import (
    ARCFACE_TEMPLATE_112,
    align_face,
    arcface_template,
    estimate_similarity_transform,
)


def similarity_matrix(angle_deg, scale, tx, ty):
    angle = np.deg2rad(angle_deg)
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]])


def apply(matrix, points):
    return points @ matrix[:, :2].T + matrix[:, 2]


def template_image():
    """112x112 image with a distinct blob on each template landmark."""
    image = np.zeros((112, 112, 3), np.uint8)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0),
               (0, 255, 255)]
    for (x, y), colour in zip(ARCFACE_TEMPLATE_112, colours):
        cv2.circle(image, (int(round(x)), int(round(y))), 6, colour, -1)
    return image


def test_template_maps_onto_itself():
    matrix = estimate_similarity_transform(ARCFACE_TEMPLATE_112,
                                           ARCFACE_TEMPLATE_112)
    np.testing.assert_allclose(matrix, [[1, 0, 0], [0, 1, 0]], atol=1e-9)
    image = template_image()
    np.testing.assert_array_equal(
        align_face(image, ARCFACE_TEMPLATE_112, size=112), image)


def test_recovers_known_similarity_transform():
    known = similarity_matrix(25, 1.8, 40.0, -12.0)
    moved = apply(known, ARCFACE_TEMPLATE_112)
    np.testing.assert_allclose(
        estimate_similarity_transform(ARCFACE_TEMPLATE_112, moved), known,
        atol=1e-9)


def test_rotated_scaled_face_is_aligned_back():
    image = template_image()
    known = similarity_matrix(-30, 2.2, 150.0, 60.0)
    warped = cv2.warpAffine(image, known, (400, 400))
    landmarks = apply(known, ARCFACE_TEMPLATE_112)

    aligned = align_face(warped, landmarks, size=112)
    error = np.abs(aligned.astype(int) - image.astype(int)).mean()
    unaligned_error = np.abs(
        warped[:112, :112].astype(int) - image.astype(int)).mean()
    assert error < 2.0
    assert unaligned_error > 5 * error
    # the blobs' colours are back where the template says
    for x, y in ARCFACE_TEMPLATE_112:
        x, y = int(round(x)), int(round(y))
        np.testing.assert_array_equal(aligned[y, x], image[y, x])


def test_template_size_and_margin():
    np.testing.assert_allclose(arcface_template(224), ARCFACE_TEMPLATE_112 * 2)
    wide = arcface_template(112, margin=2.0)
    # zoomed out about the centre: the eyes are half as far apart
    eye_gap = np.linalg.norm(ARCFACE_TEMPLATE_112[1] - ARCFACE_TEMPLATE_112[0])
    assert np.linalg.norm(wide[1] - wide[0]) == pytest.approx(eye_gap / 2)
    assert align_face(template_image(), ARCFACE_TEMPLATE_112,
                      size=64).shape == (64, 64, 3)


def test_bad_landmarks_are_rejected():
    with pytest.raises(ValueError, match='5, 2'):
        align_face(template_image(), np.zeros((4, 2)))
    with pytest.raises(ValueError, match='one point'):
        estimate_similarity_transform(np.ones((5, 2)), ARCFACE_TEMPLATE_112)
