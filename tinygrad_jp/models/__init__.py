"""tinygrad_jp.models: the curriculum's networks, built from ``tinygrad_jp.nn``.

Like ``torchvision.models`` this package sits above ``nn``: every model is an
``nn.Module`` with PyTorch's state-dict keys (torchvision's where torchvision has the
model), so weights saved here load into the same PyTorch model.

===============================  ==============================================
``MultiLayerNet``                the course's fully connected net (init, L2, dropout, BN)
``SimpleConvNet``, ``DeepConvNet``  the course's MNIST CNNs
``LeNet``                        LeNet-5 (32×32, or 28×28 with ``padding=2``)
``AlexNet`` / ``alexnet_small``  torchvision's AlexNet, and a 28–32 px variant
``VGG16``                        torchvision's VGG16, any input size, block freezing
``ResNet``, ``resnet18``, ``resnet20``  basic-block ResNets (ImageNet and CIFAR)
``DCGANGenerator`` / ``...Discriminator``  the GAN of the NumPy lab report (optionally conditional)
===============================  ==============================================
"""
from .alexnet import AlexNet, alexnet, alexnet_small
from .convnets import DeepConvNet, SimpleConvNet
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .lenet import LeNet
from .mlp import MultiLayerNet
from .resnet import (BasicBlock, ResNet, ZeroPadShortcut, resnet18, resnet20, resnet32,
                     resnet44, resnet56)
from .vgg import VGG16, vgg16, vgg16_bn

__all__ = ["MultiLayerNet", "SimpleConvNet", "DeepConvNet", "LeNet", "AlexNet", "alexnet",
           "alexnet_small", "VGG16", "vgg16", "vgg16_bn", "ResNet", "BasicBlock",
           "ZeroPadShortcut", "resnet18", "resnet20", "resnet32", "resnet44", "resnet56",
           "DCGANGenerator", "DCGANDiscriminator"]
