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
# OpenAI's CLIP (ViT-B/16, ViT-L/14; the CLIP detectors, configs/clip/)
# from timm's Hugging Face repos. These repos hold no timm-layout
# model.safetensors, only the whole CLIP (image and text towers) in
# OpenAI's key layout (visual.conv1, visual.transformer.resblocks.N, ...),
# which timm converts on load (timm.models.vision_transformer
# .checkpoint_filter_fn); open_clip_model.safetensors is that file.
# SHA-256: Hugging Face shows each LFS file's SHA-256 on its page
# (.../blob/main/open_clip_model.safetensors); the digests below were
# recorded by independent projects that downloaded the files (ViT-B/16:
# 598,516,980 bytes at revision 977e3dd0ec55ab8da155f2fbeb6b5f54948b6e3d;
# ViT-L/14: at revision 18d05354), not read off that page here: compare
# them with the page once. A mismatch stops the download with a message.
_timm_hf = 'https://huggingface.co/timm'
clip_vit_b16_openai = dict(
    type='Pretrained',
    checkpoint=_timm_hf + '/vit_base_patch16_clip_224.openai/resolve/main/'
    'open_clip_model.safetensors',
    sha256='4b8699299b1e8997753c64b052ba32031449d5d853f55a039148560ee02b820f')
clip_vit_l14_openai = dict(
    type='Pretrained',
    checkpoint=_timm_hf + '/vit_large_patch14_clip_224.openai/resolve/main/'
    'open_clip_model.safetensors',
    sha256='9ce2e8a8ebfff3793d7d375ad6d3c35cb9aebf3de7ace0fc7308accab7cd207e')
