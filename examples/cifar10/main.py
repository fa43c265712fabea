# A CIFAR-10 classifier as PyTorch users write it (the shape of PyTorch's "Training a
# classifier" tutorial, as a script with augmentation), with only the imports changed.
import argparse
import time

import tinygrad_jp as torch
import tinygrad_jp.nn as nn
import tinygrad_jp.nn.functional as F
import tinygrad_jp.optim as optim
from tinygrad_jp.utils.data import DataLoader
from tinygrad_jp.vision import datasets, transforms

classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * 8 * 8, 256)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def train_one_epoch(net, trainloader, criterion, optimizer, device, epoch, log_every,
                    max_batches=None):
    net.train()
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(trainloader):
        inputs, labels = inputs.to(device), labels.to(device)

        # zero the parameter gradients
        optimizer.zero_grad()

        # forward + backward + optimize
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        # print statistics
        running_loss += loss.item()
        if i % log_every == log_every - 1:
            print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / log_every:.4f}')
            running_loss = 0.0
        if max_batches is not None and i + 1 >= max_batches:
            break


def evaluate(net, testloader, device):
    net.eval()
    correct = 0
    total = 0
    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}
    # since we're not training, we don't need to calculate the gradients for our outputs
    with torch.no_grad():
        for images, labels in testloader:
            images, labels = images.to(device), labels.to(device)
            outputs = net(images)
            _, predicted = torch.max(outputs, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            for label, prediction in zip(labels.tolist(), predicted.tolist(), strict=True):
                if label == prediction:
                    correct_pred[classes[label]] += 1
                total_pred[classes[label]] += 1
    print(f'Accuracy of the network on the {total} test images: {100 * correct / total:.1f} %')
    for classname, correct_count in correct_pred.items():
        if total_pred[classname]:
            accuracy = 100 * float(correct_count) / total_pred[classname]
            print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')
    return correct / total


def main():
    parser = argparse.ArgumentParser(description='CIFAR-10 CNN')
    parser.add_argument('--data', default='./data', help='where CIFAR-10 is (or goes)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--momentum', type=float, default=0.9)
    parser.add_argument('--workers', type=int, default=2, help='data loading processes')
    parser.add_argument('--log-every', type=int, default=100, help='batches between logs')
    parser.add_argument('--max-batches', type=int, default=None,
                        help='stop each epoch after this many batches (a quick check)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--save', default=None, help='save the weights here at the end')
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

    normalize = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    transform_train = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        normalize,
    ])
    transform_test = transforms.Compose([transforms.ToTensor(), normalize])

    trainset = datasets.CIFAR10(root=args.data, train=True, download=True,
                                transform=transform_train)
    trainloader = DataLoader(trainset, batch_size=args.batch_size, shuffle=True,
                             num_workers=args.workers)
    testset = datasets.CIFAR10(root=args.data, train=False, download=True,
                               transform=transform_test)
    testloader = DataLoader(testset, batch_size=args.batch_size * 2, shuffle=False,
                            num_workers=args.workers)

    net = Net().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=5e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        start = time.time()
        train_one_epoch(net, trainloader, criterion, optimizer, device, epoch,
                        args.log_every, args.max_batches)
        scheduler.step()
        print(f'epoch {epoch + 1} took {time.time() - start:.1f} s')
        evaluate(net, testloader, device)

    print('Finished Training')
    if args.save:
        torch.save(net.state_dict(), args.save)


if __name__ == '__main__':
    main()
