# ImageNet weights of the FF++ backbones, as their sources publish them
# (docs/models.md). Fetched once into $TORCH_HOME/hub/checkpoints and checked
# against the SHA-256 prefix in the file name (torch.hub's name-<sha256>
# convention). Offline, put the file there by hand; or train from random
# weights with --cfg-options model.backbone.init_cfg=None.
_timm_releases = 'https://github.com/rwightman/pytorch-image-models/releases'
# Cadene's pretrainedmodels Xception (data.lip6.fr/cadene/pretrainedmodels),
# the checkpoint FaceForensics++ and DeepfakeBench start from; timm's mirror.
xception_imagenet = dict(
    type='Pretrained',
    checkpoint=_timm_releases +
    '/download/v0.1-cadene/xception-43020ad28.pth',
    sha256='43020ad28')
# timm's efficientnet_b4.ra2_in1k (RandAugment, 320 px, top-1 83.4 %).
efficientnet_b4_imagenet = dict(
    type='Pretrained',
    checkpoint=_timm_releases +
    '/download/v0.1-weights/efficientnet_b4_ra2_320-7eb33cd5.pth',
    sha256='7eb33cd5')
