# DeepfakeBench protocol: Adam lr 2e-4, weight decay 5e-4, 10 epochs,
# constant learning rate, batch 32 (auto_scale_lr.base_batch_size).
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.999), eps=1e-8,
                   weight_decay=5e-4))
param_scheduler = []
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
